import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { soleScheme } from '../enrolments/enrolment-events.js';
import type { EventType } from '../events/event-types.js';
import { recordEvent } from '../events/outbox.js';
import type { ClaimRow } from './claims.repo.js';

type ClaimEventType = Extract<EventType, `claim.${string}`>;

/** The event a claim's status calls for once it is decided: approved, rejected, or sent to review. */
export const claimEventTypeOf = (status: 'approved' | 'rejected' | 'in_review'): ClaimEventType =>
  status === 'approved' ? 'claim.approved' : status === 'rejected' ? 'claim.rejected' : 'claim.review';

/**
 * Records a claim event in the claim's transaction, in the one shape every
 * claim event has: ids (the run, the module of a milestone claim), the
 * amount claimed with its currency, the status, whether it is held, and the
 * reason codes (failed checks, review reasons). Never the officer's words.
 */
export async function recordClaimEvent(tx: Tx, type: ClaimEventType, claim: ClaimRow, at: Date, data: Record<string, unknown> = {}): Promise<void> {
  const facts = await tx.execute<{ course_run_id: string; scheme_ids: string[] }>(sql`
    select e.course_run_id,
           coalesce((select array_agg(distinct er.scheme_id::text) from enrolment_reservations er
                      where er.enrolment_id = e.id and er.module_ordinal = ${claim.moduleOrdinal}), '{}') scheme_ids
      from enrolments e where e.id = ${claim.enrolmentId}`);
  const { course_run_id: courseRunId, scheme_ids: schemeIds } = facts.rows[0]!;
  await recordEvent(tx, {
    type, at, subject: { type: 'claim', id: claim.id }, learnerId: claim.learnerId, providerId: claim.providerId, schemeId: soleScheme(schemeIds),
    data: {
      claimId: claim.id, enrolmentId: claim.enrolmentId, courseRunId, module: claim.moduleOrdinal > 0 ? claim.moduleOrdinal : null, schemeIds,
      amount: claim.amountClaimed.toString(), currency: claim.currency, status: claim.status, onHold: claim.onHold,
      failedChecks: claim.failedChecks, reviewReasons: claim.reviewReasons,
      ...data,
    },
  });
}
