import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { learnerData, rowsOfLearner, type Erasure, type LearnerTable } from './personal-data.js';

/** What of a learner is still in flight: money that erasing them now would leave without a person to settle it with. */
export interface OpenItems {
  enrolments: number;
  claims: number;
  payments: number;
  incentives: number;
  /** Appeals still being decided: a reinstatement would fund someone erased. */
  appeals: number;
}

const ERASED_TEXT = sql`'erased'`;
const ERASED_JSON = sql`'{"erased": true}'::jsonb`;

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

/** What erasure leaves in a column: null, or the mark of its type (a null stays null). */
function erasedValue(column: string, how: Exclude<Erasure, 'delete-row'>): SQL {
  if (how === 'null') return sql`null`;
  return sql`case when ${sql.identifier(column)} is null then null else ${how === 'mark' ? ERASED_TEXT : ERASED_JSON} end`;
}

/** The statement that erases one learner's personal data from one catalogued table; none for a table that holds none. */
function erasureStatement(t: LearnerTable, learnerId: string, at: Date): SQL | undefined {
  const columns = Object.entries(t.personal);
  if (columns.length === 0) return undefined;
  const table = sql.identifier(t.table);
  const rows = rowsOfLearner(t, learnerId);
  const deleted = columns.filter(([, how]) => how === 'delete-row').length;
  if (deleted === columns.length) return sql`delete from ${table} where (${rows})`;
  if (deleted > 0) throw new Error(`${t.table}: erasure either deletes the learner's rows or clears their columns, not both`);
  const set = columns.map(([column, how]) => sql`${sql.identifier(column)} = ${erasedValue(column, how as Exclude<Erasure, 'delete-row'>)}`);
  if (t.erasedAt) set.push(sql`${sql.identifier(t.erasedAt)} = ${at.toISOString()}::timestamptz`);
  return sql`update ${table} set ${sql.join(set, sql`, `)} where (${rows})`;
}

/**
 * Removes the learner's personal data and keeps every row and id, so the
 * ledger, the reports and the audit chain stay linked and exact: every
 * personal column the catalogue (personal-data.ts) names, cleared, marked
 * erased, or its rows deleted; the amounts, references and states stay.
 */
export async function erasePersonalData(tx: Tx, learnerId: string, at: Date): Promise<void> {
  for (const t of learnerData) {
    const statement = erasureStatement(t, learnerId, at);
    if (statement) await tx.execute(statement);
  }
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
