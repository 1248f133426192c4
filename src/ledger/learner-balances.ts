import { sql, type SQL } from 'drizzle-orm';

/**
 * One learner's grants with their ledger counters (credits_posted,
 * debits_posted, debits_pending), from the SQL function of the same name,
 * which reads the learner's few grants first and only their accounts. Use
 * inside `with g as materialized (...)`.
 */
export function learnerGrantBalances(learnerId: string): SQL {
  return sql`select * from learner_grant_balances(${learnerId}::uuid)`;
}
