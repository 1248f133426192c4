import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { learnerData, rowsOfLearner } from './personal-data.js';

/**
 * The sections of the export: every table of the catalogue (personal-data.ts)
 * that the export lists, with its order and the columns left out.
 */
export const learnerTables = learnerData.flatMap((t) => ('export' in t ? [{ section: t.export.section, table: t.table, orderBy: t.export.orderBy, omit: t.export.omit, source: t }] : []));

export type LearnerSection = (typeof learnerTables)[number]['section'];

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** A row as JSON: keys in camelCase, bigints (already text from the driver) as they are, binary values (keyed hashes) left out. */
function exportRow(row: Record<string, unknown>, omit: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (omit.includes(k) || Buffer.isBuffer(v)) continue;
    out[camel(k)] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/** Every row of the learner in every table of learnerTables, by section. */
export async function learnerRows(db: Db | Tx, learnerId: string): Promise<Record<LearnerSection, Record<string, unknown>[]>> {
  const out = {} as Record<LearnerSection, Record<string, unknown>[]>;
  for (const t of learnerTables) {
    const r = await db.execute<Record<string, unknown>>(
      sql`select * from ${sql.identifier(t.table)} where ${rowsOfLearner(t.source, learnerId)} order by ${sql.raw(t.orderBy)}`,
    );
    out[t.section] = r.rows.map((row) => exportRow(row, t.omit));
  }
  return out;
}
