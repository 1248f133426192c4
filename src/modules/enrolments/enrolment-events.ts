import type { EventType } from '../events/event-types.js';
import type { NewEvent } from '../events/outbox.js';
import type { EnrolmentRow } from './enrolments.repo.js';

type EnrolmentEventType = Extract<EventType, `enrolment.${string}`>;

/** The scheme an event is filed under: the one scheme that funds it, or none when several (or none yet) do. */
export function soleScheme(schemeIds: readonly string[]): string | null {
  const distinct = new Set(schemeIds);
  return distinct.size === 1 ? [...distinct][0]! : null;
}

/**
 * Why an enrolment ended, as its stable code: a provider's words after the
 * colon ("withdrawn_by_provider: <reason>") are free text and stay out of events.
 */
export const endReasonCode = (endReason: string | null) => endReason?.split(':')[0] ?? null;

/**
 * The one shape of every enrolment event: ids, amounts in minor units with
 * their currency, the status after the change and, for an ending, its reason
 * code and what went back to the learner. Never a name or free text.
 */
export function enrolmentEvent(
  type: EnrolmentEventType, e: EnrolmentRow, at: Date, o: { schemeIds?: readonly string[]; data?: Record<string, unknown> } = {},
): NewEvent {
  const schemeIds = [...new Set(o.schemeIds ?? [])];
  return {
    type, at, subject: { type: 'enrolment', id: e.id }, learnerId: e.learnerId, providerId: e.providerId, schemeId: soleScheme(schemeIds),
    data: {
      enrolmentId: e.id, courseRunId: e.courseRunId, status: e.status, origin: e.origin, schemeIds,
      amount: e.funded.toString(), fee: e.fee.toString(), coPay: e.coPay.toString(), currency: e.currency,
      ...(e.endReason ? { reasonCode: endReasonCode(e.endReason) } : {}),
      ...o.data,
    },
  };
}
