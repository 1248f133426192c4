import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { grantRuns, grants } from '../../db/schema/index.js';
import type { GrantRunCriteria } from './grants.schemas.js';

export type GrantRow = typeof grants.$inferSelect;
export type GrantRunRow = typeof grantRuns.$inferSelect;

export async function findGrantRun(db: Db | Tx, id: string) {
  return (await db.select().from(grantRuns).where(eq(grantRuns.id, id)))[0];
}

export async function grantsOfLearner(db: Db | Tx, learnerId: string) {
  return db.select().from(grants).where(eq(grants.learnerId, learnerId));
}

export async function findGrant(db: Db | Tx, learnerId: string, grantId: string) {
  return (await db.select().from(grants).where(and(eq(grants.id, grantId), eq(grants.learnerId, learnerId))))[0];
}

/** SQL filter over learners `l` for a run's criteria; age bands become date-of-birth ranges so indexes apply. */
export function criteriaFilter(c: GrantRunCriteria): SQL {
  const parts: SQL[] = [sql`true`];
  if (c.citizenships.length) parts.push(sql`l.citizenship = any(${`{${c.citizenships.join(',')}}`}::text[])`);
  if (c.employmentStatuses.length) parts.push(sql`l.employment_status = any(${`{${c.employmentStatuses.join(',')}}`}::text[])`);
  if (c.incomeGroups.length) parts.push(sql`l.income_group = any(${`{${c.incomeGroups.join(',')}}`}::text[])`);
  if (c.age?.min !== undefined) parts.push(sql`l.date_of_birth <= (${c.age.on}::date - make_interval(years => ${c.age.min}))::date`);
  if (c.age?.max !== undefined) parts.push(sql`l.date_of_birth > (${c.age.on}::date - make_interval(years => ${c.age.max + 1}))::date`);
  return sql.join(parts, sql` and `);
}

export async function countMatching(db: Db | Tx, c: GrantRunCriteria): Promise<bigint> {
  const r = await db.execute<{ n: string }>(sql`select count(*)::text n from learners l where ${criteriaFilter(c)}`);
  return BigInt(r.rows[0]?.n ?? '0');
}

/** The next learners of a run after its cursor, and which of them it has not granted yet. */
export async function nextRunBatch(tx: Tx, run: GrantRunRow, size: number) {
  const r = await tx.execute<{ id: string; granted: boolean }>(sql`
    select l.id, exists (select 1 from grants g where g.grant_run_id = ${run.id} and g.learner_id = l.id) as granted
      from learners l
     where l.id > coalesce(${run.cursor}::uuid, '00000000-0000-0000-0000-000000000000'::uuid) and ${criteriaFilter(run.criteria as GrantRunCriteria)}
     order by l.id
     limit ${size}`);
  return r.rows;
}
