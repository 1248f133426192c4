import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import type { EventType } from '../events/event-types.js';
import type { OutboxEvent } from '../events/outbox.js';

/** The events a learner is told about (README "Learner notices"). */
export const noticeEventTypes = [
  'enrolment.requested', 'enrolment.consent_due', 'grant.expiring', 'grant.first_use_due', 'incentive.paid', 'appeal.decided',
] as const satisfies readonly EventType[];
export type NoticeEventType = (typeof noticeEventTypes)[number];

/** Whether an event warrants a notice: one about a learner, of a noticed type (credit expiring: at 30 and 7 days only). */
export function warrantsNotice(e: Pick<OutboxEvent, 'type' | 'learnerId' | 'data'>): e is typeof e & { type: NoticeEventType; learnerId: string } {
  if (!e.learnerId || !(noticeEventTypes as readonly string[]).includes(e.type)) return false;
  if (e.type === 'grant.expiring') return e.data.days === 30 || e.data.days === 7;
  return true;
}

interface Money { amount: bigint; currency: string }

/**
 * What a notice says, gathered when it is sent: the course, the provider,
 * the amounts and the deadline as they stand. Written into words per
 * language by src/web/notices/notice-text.ts.
 */
export type NoticeFacts =
  | ({ kind: 'consent_request' | 'consent_due'; providerName: string; courseTitle: string; runStartsAt: Date; fee: bigint; funded: bigint; coPay: bigint; answerBy: Date } & Pick<Money, 'currency'>)
  | ({ kind: 'grant_expiring'; schemeName: string; expiresAt: Date; days: number } & Money)
  | ({ kind: 'first_use_due'; schemeName: string; deadline: Date } & Money)
  | ({ kind: 'incentive_paid' } & Money)
  | { kind: 'appeal_decided'; outcome: 'reinstated' | 'rejected'; money: Money | null };

const moneyOf = (data: Record<string, unknown>): Money | null =>
  typeof data.amount === 'string' && /^\d{1,19}$/.test(data.amount) && typeof data.currency === 'string' && /^[A-Z]{3}$/.test(data.currency)
    ? { amount: BigInt(data.amount), currency: data.currency }
    : null;

/**
 * The facts of a notice of this event, or undefined when there is nothing
 * to tell any more: the request was answered, the grant used or closed, or
 * the event lacks what the notice must say.
 */
export async function noticeFacts(db: Db | Tx, e: OutboxEvent): Promise<NoticeFacts | undefined> {
  switch (e.type) {
    case 'enrolment.requested':
    case 'enrolment.consent_due': {
      const r = await db.execute<{ provider_name: string; course_title: string; starts_at: string; fee: string; funded: string; co_pay: string; currency: string; consent_deadline: string | null; status: string }>(sql`
        select p.legal_name as provider_name, c.title as course_title, r.starts_at::text, e.fee::text, e.funded::text, e.co_pay::text, e.currency, e.consent_deadline::text, e.status
          from enrolments e join course_runs r on r.id = e.course_run_id join courses c on c.id = r.course_id join providers p on p.id = e.provider_id
         where e.id = ${e.subjectId}::uuid and e.learner_id = ${e.learnerId}::uuid`);
      const x = r.rows[0];
      if (!x?.consent_deadline || x.status !== 'requested') return undefined;
      return {
        kind: e.type === 'enrolment.requested' ? 'consent_request' : 'consent_due', providerName: x.provider_name, courseTitle: x.course_title,
        runStartsAt: new Date(x.starts_at), fee: BigInt(x.fee), funded: BigInt(x.funded), coPay: BigInt(x.co_pay), currency: x.currency, answerBy: new Date(x.consent_deadline),
      };
    }
    case 'grant.expiring':
    case 'grant.first_use_due': {
      const r = await db.execute<{ scheme_name: string; currency: string; expires_at: string | null; first_use_deadline: string | null; first_used_at: string | null; status: string; available: string }>(sql`
        select s.name as scheme_name, g.currency, g.expires_at::text, g.first_use_deadline::text, g.first_used_at::text, g.status,
               ledger_available(b.credits_posted, b.debits_posted, b.debits_pending)::text as available
          from grants g join schemes s on s.id = g.scheme_id cross join lateral ledger_balance(g.id) b
         where g.id = ${e.subjectId}::uuid and g.learner_id = ${e.learnerId}::uuid`);
      const x = r.rows[0];
      if (!x || x.status !== 'active' || BigInt(x.available) <= 0n) return undefined;
      const money = { amount: BigInt(x.available), currency: x.currency };
      if (e.type === 'grant.expiring') return x.expires_at ? { kind: 'grant_expiring', schemeName: x.scheme_name, expiresAt: new Date(x.expires_at), days: Number(e.data.days), ...money } : undefined;
      return x.first_use_deadline && !x.first_used_at ? { kind: 'first_use_due', schemeName: x.scheme_name, deadline: new Date(x.first_use_deadline), ...money } : undefined;
    }
    case 'incentive.paid': {
      const money = moneyOf(e.data);
      return money ? { kind: 'incentive_paid', ...money } : undefined;
    }
    case 'appeal.decided': {
      const outcome = e.data.outcome;
      if (outcome !== 'reinstated' && outcome !== 'rejected') return undefined;
      return { kind: 'appeal_decided', outcome, money: outcome === 'reinstated' ? moneyOf(e.data) : null };
    }
    default:
      return undefined;
  }
}
