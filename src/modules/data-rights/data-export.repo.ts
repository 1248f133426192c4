import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';

/**
 * The tables that hold rows of one learner, keyed by learner_id, as the
 * export lists them: the section's name, the table, its order, and the
 * columns left out (secrets, and account details the API only ever shows
 * masked). A table keyed by the learner that is not here is missing from
 * the export: test/data-rights/export.test.ts checks this list against the
 * catalogue.
 */
export const learnerTables = [
  { section: 'contacts', table: 'learner_contacts', orderBy: 'learner_id', omit: [] },
  { section: 'grants', table: 'grants', orderBy: 'granted_at, id', omit: [] },
  { section: 'enrolments', table: 'enrolments', orderBy: 'requested_at, id', omit: [] },
  { section: 'reservations', table: 'enrolment_reservations', orderBy: 'enrolment_id, module_ordinal, grant_id', omit: [] },
  { section: 'claims', table: 'claims', orderBy: 'submitted_at, id', omit: [] },
  { section: 'credentials', table: 'learner_credentials', orderBy: 'created_at, id', omit: [] },
  { section: 'credentialShares', table: 'credential_shares', orderBy: 'created_at, id', omit: ['token_sha256'] },
  { section: 'credentialShareUses', table: 'credential_share_uses', orderBy: 'at, id', omit: [] },
  { section: 'pathwayCompletions', table: 'pathway_completions', orderBy: 'completed_at, id', omit: [] },
  { section: 'incentives', table: 'incentives', orderBy: 'accrued_at, id', omit: [] },
  { section: 'incentiveBalances', table: 'learner_payables', orderBy: 'currency', omit: [] },
  { section: 'ratings', table: 'course_ratings', orderBy: 'rated_at, enrolment_id', omit: [] },
  { section: 'payeeAccounts', table: 'learner_payee_accounts', orderBy: 'created_at, id', omit: ['account'] },
  { section: 'payments', table: 'payment_lines', orderBy: 'id', omit: ['creditor_account'] },
  { section: 'equityProfile', table: 'learner_equity_profiles', orderBy: 'recorded_at, id', omit: [] },
  { section: 'counterActs', table: 'counter_acts', orderBy: 'at, id', omit: [] },
  { section: 'staffReads', table: 'staff_data_reads', orderBy: 'at, id', omit: [] },
  { section: 'appeals', table: 'grant_appeals', orderBy: 'filed_at, id', omit: [] },
  { section: 'notices', table: 'notices', orderBy: 'created_at, id', omit: [] },
  { section: 'events', table: 'outbox_events', orderBy: 'seq', omit: [] },
] as const;

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
      sql`select * from ${sql.identifier(t.table)} where learner_id = ${learnerId} order by ${sql.raw(t.orderBy)}`,
    );
    out[t.section] = r.rows.map((row) => exportRow(row, t.omit));
  }
  return out;
}
