import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';

/** What of a learner is still in flight: money that erasing them now would leave without a person to settle it with. */
export interface OpenItems {
  enrolments: number;
  claims: number;
  payments: number;
  incentives: number;
  /** Appeals still being decided: a reinstatement would fund someone erased. */
  appeals: number;
}

const ERASED = sql`'{"erased": true}'::jsonb`;

/** An incentive (alias i) still owed to the learner: held, or accrued and not yet paid by a settled line. */
const unpaidIncentive = sql.raw(`(i.status = 'held' or (i.status = 'accrued' and not exists (
  select 1 from payment_line_incentives pli join payment_lines pl on pl.id = pli.line_id
   where pli.incentive_id = i.id and pli.live = 1 and pl.status = 'settled')))`);

/** The learner's row locked against a concurrent erasure, registration change or payee change. */
export async function lockLearnerForErasure(tx: Tx, learnerId: string): Promise<{ id: string; erasedAt: Date | null } | undefined> {
  const r = await tx.execute<{ id: string; erased_at: Date | null }>(sql`select id, erased_at from learners where id = ${learnerId} for update`);
  const row = r.rows[0];
  return row ? { id: row.id, erasedAt: row.erased_at } : undefined;
}

export async function openItemsOf(db: Db | Tx, learnerId: string): Promise<OpenItems> {
  const r = await db.execute<OpenItems & Record<string, number>>(sql`
    select
      (select count(*)::int from enrolments where learner_id = ${learnerId} and status in ('requested', 'reserved', 'claimed')) as enrolments,
      (select count(*)::int from claims where learner_id = ${learnerId} and status in ('in_review', 'approved')) as claims,
      (select count(*)::int from payment_lines where learner_id = ${learnerId} and status in ('proposed', 'pending')) as payments,
      (select count(*)::int from incentives i where i.learner_id = ${learnerId} and ${unpaidIncentive}) as incentives,
      (select count(*)::int from grant_appeals a where a.learner_id = ${learnerId} and a.status in ('open', 'proposed')) as appeals`);
  return r.rows[0]!;
}

/**
 * Removes the learner's personal data and keeps every row and id, so the
 * ledger, the reports and the audit chain stay linked and exact: the name,
 * birth date and national id (keyed hash and masked form) of the learner
 * row; the account details of their payee accounts and of the payment lines
 * that paid them (the amounts, references and states stay); their equity
 * profile and contact details; their appeal statements and the officers' notes on them; and stored idempotent responses that repeat their registration.
 */
export async function erasePersonalData(tx: Tx, learnerId: string, at: Date): Promise<void> {
  await tx.execute(sql`update learners set full_name = null, date_of_birth = null, national_id_hash = null, national_id_masked = null, erased_at = ${at.toISOString()}::timestamptz
    where id = ${learnerId}`);
  await tx.execute(sql`update learner_payee_accounts set account = ${ERASED}, masked = 'erased' where learner_id = ${learnerId}`);
  await tx.execute(sql`update payment_lines set creditor_name = 'erased', creditor_account = ${ERASED} where learner_id = ${learnerId}`);
  await tx.execute(sql`delete from learner_equity_profiles where learner_id = ${learnerId}`);
  await tx.execute(sql`delete from learner_contacts where learner_id = ${learnerId}`);
  // An appeal's statement is the learner's own words, and an officer's note may repeat them: the decision and its amounts stay.
  // Free text others wrote about the learner, or they wrote themselves: a share's label, a counter officer's reason (also copied as the staff read's purpose).
  await tx.execute(sql`update credential_shares set label = 'erased' where learner_id = ${learnerId} and label is not null`);
  await tx.execute(sql`update counter_acts set reason = 'erased' where learner_id = ${learnerId} and reason is not null`);
  await tx.execute(sql`update staff_data_reads set purpose = 'erased' where learner_id = ${learnerId}`);
  await tx.execute(sql`update grant_appeals set statement = 'erased', decision_note = case when decision_note is null then null else 'erased' end where learner_id = ${learnerId}`);
  // A stored response is replayed only to a retry of the same request; the learner's own, or one that names them, would repeat what was erased.
  await tx.execute(sql`delete from idempotency_keys where scope = ${`citizen:${learnerId}`} or strpos(body, ${learnerId}) > 0`);
}

/**
 * Learners not yet erased whose last activity (registration, grant,
 * enrolment, claim, incentive) is before `cutoff`, with no grant still
 * active and nothing in flight: those the retention task erases, oldest
 * first, at most `limit`.
 */
export async function learnersPastRetention(db: Db | Tx, cutoff: Date, limit: number): Promise<string[]> {
  const c = sql`${cutoff.toISOString()}::timestamptz`;
  const r = await db.execute<{ id: string }>(sql`
    select l.id from learners l
    where l.erased_at is null and l.created_at < ${c}
      and not exists (select 1 from grants g where g.learner_id = l.id and (g.status = 'active' or g.granted_at >= ${c}))
      and not exists (select 1 from enrolments e where e.learner_id = l.id
                      and (e.status in ('requested', 'reserved', 'claimed') or greatest(e.requested_at, e.reserved_at, e.ended_at) >= ${c}))
      and not exists (select 1 from claims k where k.learner_id = l.id
                      and (k.status in ('in_review', 'approved') or greatest(k.submitted_at, k.decided_at, k.paid_at) >= ${c}))
      and not exists (select 1 from payment_lines p where p.learner_id = l.id and p.status in ('proposed', 'pending'))
      and not exists (select 1 from incentives i where i.learner_id = l.id and (${unpaidIncentive} or i.created_at >= ${c}))
      and not exists (select 1 from grant_appeals a where a.learner_id = l.id and (a.status in ('open', 'proposed') or a.filed_at >= ${c}))
    order by l.created_at, l.id
    limit ${limit}`);
  return r.rows.map((row) => row.id);
}
