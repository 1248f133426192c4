import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { incentives, learnerPayables, schemeIncentiveBudgets } from '../../db/schema/index.js';

export type IncentiveRow = typeof incentives.$inferSelect;

export interface IncentiveTermsOfEnrolment {
  learnerId: string;
  schemeId: string;
  currency: string;
  amount: bigint;
  requiresRating: boolean;
}

/**
 * The incentive an enrolment earns, under the rules its schemes had when the
 * enrolment was judged: of the schemes that funded it and offer an
 * incentive, the one that funded the most (then the lowest scheme id).
 */
export async function incentiveTermsOf(db: Db | Tx, enrolmentId: string): Promise<IncentiveTermsOfEnrolment | undefined> {
  const r = await db.execute<{ learner_id: string; scheme_id: string; currency: string; amount: string; requires_rating: boolean }>(sql`
    select e.learner_id, er.scheme_id, e.currency::text currency, (sv.rules->'incentive'->>'amount') amount,
           coalesce((sv.rules->'incentive'->>'requiresRating')::boolean, false) requires_rating
      from enrolments e
      join (select scheme_id, sum(amount) amount from enrolment_reservations where enrolment_id = ${enrolmentId} group by scheme_id) er on true
      join scheme_rule_versions sv on sv.scheme_id = er.scheme_id and sv.version = (e.rule_versions->>(er.scheme_id::text))::int
     where e.id = ${enrolmentId} and jsonb_typeof(sv.rules->'incentive') = 'object'
     order by er.amount desc, er.scheme_id
     limit 1`);
  const row = r.rows[0];
  return row
    ? { learnerId: row.learner_id, schemeId: row.scheme_id, currency: row.currency, amount: BigInt(row.amount), requiresRating: row.requires_rating }
    : undefined;
}

/**
 * The enrolment's claim was approved (or since paid) and the enrolment completed: the completion is proven. A
 * modular course's enrolment completes with its last module, not its first.
 */
export async function completionApproved(db: Db | Tx, enrolmentId: string): Promise<boolean> {
  const r = await db.execute(sql`
    select 1 from claims c join enrolments e on e.id = c.enrolment_id
     where c.enrolment_id = ${enrolmentId} and c.status in ('approved', 'paid') and e.status = 'completed' limit 1`);
  return r.rows.length > 0;
}

export async function isRated(db: Db | Tx, enrolmentId: string): Promise<boolean> {
  const r = await db.execute(sql`select 1 from course_ratings where enrolment_id = ${enrolmentId}`);
  return r.rows.length > 0;
}

/**
 * Takes the one incentive slot of (learner, enrolment). Undefined when it is
 * taken: a concurrent transaction that took it first makes this one wait on
 * the unique index, then find it taken.
 */
export async function claimIncentiveSlot(tx: Tx, row: typeof incentives.$inferInsert): Promise<IncentiveRow | undefined> {
  const [inserted] = await tx.insert(incentives).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function setIncentiveOutcome(tx: Tx, id: string, outcome: { status: 'accrued'; accruedAt: Date } | { status: 'held'; holdReason: string }) {
  await tx
    .update(incentives)
    .set(outcome.status === 'accrued' ? { status: 'accrued', holdReason: null, accruedAt: outcome.accruedAt } : { status: 'held', holdReason: outcome.holdReason })
    .where(eq(incentives.id, id));
}

/** The enrolment's incentive, locked, with the payment line that carries it now (if any). */
export async function lockIncentiveOfEnrolment(tx: Tx, enrolmentId: string) {
  const r = await tx.execute<{ id: string; learner_id: string; scheme_id: string; currency: string; amount: string; status: IncentiveRow['status']; line_status: string | null; message_id: string | null }>(sql`
    select i.id, i.learner_id, i.scheme_id, i.currency::text currency, i.amount::text amount, i.status, live.status line_status, live.message_id
      from incentives i
      left join lateral (
        select pl.status, b.message_id from payment_line_incentives x join payment_lines pl on pl.id = x.line_id join disbursement_batches b on b.id = pl.batch_id
         where x.incentive_id = i.id and x.live = 1 limit 1) live on true
     where i.enrolment_id = ${enrolmentId}
     for update of i`);
  const row = r.rows[0];
  return row ? { ...row, amount: BigInt(row.amount) } : undefined;
}

export async function markIncentiveReversed(tx: Tx, id: string) {
  await tx.update(incentives).set({ status: 'reversed', holdReason: null }).where(eq(incentives.id, id));
}

export async function markIncentiveWrittenOff(tx: Tx, id: string, at: Date, reason: string) {
  await tx.update(incentives).set({ status: 'written_off', holdReason: null, writtenOffAt: at, writeOffReason: reason }).where(eq(incentives.id, id));
}

export async function writeOffFigures(db: Db | Tx, asOf: Date) {
  const r = await db.execute<{ scheme_id: string; scheme_name: string; currency: string; incentives: number; amount: string; reason: string }>(sql`
    select i.scheme_id, s.name scheme_name, i.currency::text currency, count(*)::int incentives, sum(i.amount)::text amount, i.write_off_reason reason
      from incentives i join schemes s on s.id = i.scheme_id
     where i.status = 'written_off' and i.written_off_at <= ${asOf.toISOString()}::timestamptz
     group by i.scheme_id, s.name, i.currency, i.write_off_reason
     order by i.currency, i.scheme_id, i.write_off_reason`);
  return r.rows;
}

/** Held incentives of a scheme, oldest first, locked; another transaction working through them is skipped. */
export async function heldIncentivesOf(tx: Tx, schemeId: string, limit: number): Promise<IncentiveRow[]> {
  return tx.select().from(incentives).where(sql`${incentives.schemeId} = ${schemeId} and ${incentives.status} = 'held'`)
    .orderBy(incentives.createdAt, incentives.id).limit(limit).for('update', { skipLocked: true });
}

export async function incentiveBudgetAccountOf(db: Db | Tx, schemeId: string): Promise<string | undefined> {
  return (await db.select().from(schemeIncentiveBudgets).where(eq(schemeIncentiveBudgets.schemeId, schemeId)))[0]?.accountId;
}

/** Records the scheme's incentive budget account; false when another transaction recorded one first. */
export async function insertIncentiveBudget(tx: Tx, schemeId: string, accountId: string, at: Date): Promise<boolean> {
  const r = await tx.insert(schemeIncentiveBudgets).values({ schemeId, accountId, createdAt: at }).onConflictDoNothing().returning();
  return r.length > 0;
}

export async function findLearnerPayable(db: Db | Tx, learnerId: string, currency: string): Promise<string | undefined> {
  const r = await db.select().from(learnerPayables).where(sql`${learnerPayables.learnerId} = ${learnerId} and ${learnerPayables.currency} = ${currency}`);
  return r[0]?.accountId;
}

export async function insertLearnerPayable(tx: Tx, learnerId: string, currency: string, accountId: string): Promise<boolean> {
  const r = await tx.insert(learnerPayables).values({ learnerId, currency, accountId }).onConflictDoNothing().returning();
  return r.length > 0;
}

export type LearnerIncentiveRow = {
  id: string;
  enrolment_id: string;
  scheme_id: string;
  scheme_name: string;
  course_title: string | null;
  currency: string;
  amount: string;
  status: 'accrued' | 'held' | 'reversed';
  hold_reason: string | null;
  created_at: string;
  accrued_at: string | null;
  line_status: string | null;
  end_to_end_id: string | null;
  paid_at: string | null;
  returned: boolean;
  has_payee: boolean;
};

/** A learner's incentives, newest first, with the payment line that carries each (if any). */
export async function incentivesOfLearner(db: Db | Tx, learnerId: string, limit: number): Promise<LearnerIncentiveRow[]> {
  const r = await db.execute<LearnerIncentiveRow>(sql`
    select i.id, i.enrolment_id, i.scheme_id, s.name scheme_name, c.title course_title, i.currency::text currency, i.amount::text amount,
           i.status, i.hold_reason, i.created_at::text, i.accrued_at::text,
           live.status line_status, live.end_to_end_id, live.settled_at::text paid_at,
           exists (select 1 from payment_line_incentives x join payment_lines pl on pl.id = x.line_id
                    where x.incentive_id = i.id and x.live = 0 and pl.status = 'returned') returned,
           exists (select 1 from learner_payee_accounts a where a.learner_id = i.learner_id and a.status = 'active') has_payee
      from incentives i
      join schemes s on s.id = i.scheme_id
      left join enrolments e on e.id = i.enrolment_id
      left join course_runs r on r.id = e.course_run_id
      left join courses c on c.id = r.course_id
      left join lateral (
        select pl.status, pl.end_to_end_id, pl.settled_at from payment_line_incentives x join payment_lines pl on pl.id = x.line_id
         where x.incentive_id = i.id and x.live = 1 limit 1) live on true
     where i.learner_id = ${learnerId}
     order by i.created_at desc, i.id desc
     limit ${limit}`);
  return r.rows;
}
