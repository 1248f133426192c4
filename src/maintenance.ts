import { purgeExpiredKeys } from './http/idempotency.js';
import type { ServiceDeps } from './modules/deps.js';
import { sweepEnrolments } from './modules/enrolments/enrolments.service.js';
import { sweepGrants, workPendingGrantRuns } from './modules/grants/grants.service.js';
import { flagUnseenPayments } from './modules/reconciliation/reconciliation.service.js';

/**
 * Background work that keeps the books current: expire timed-out
 * reservations, return expired and lapsed credit to scheme budgets, resume
 * grant runs a crashed worker left, fold payable deltas, forget old
 * idempotency keys.
 */
export async function runMaintenance(deps: ServiceDeps) {
  const db = deps.database.db;
  const expired = await deps.ledger.expirePending(db);
  const enrolmentsEnded = await sweepEnrolments(deps);
  const grants = await sweepGrants(deps);
  const grantRuns = await workPendingGrantRuns(deps);
  const unseenPayments = await flagUnseenPayments(deps);
  const folded = await deps.ledger.foldDeltas(db);
  const keysPurged = await purgeExpiredKeys(db, deps.clock);
  return { expired, enrolmentsLapsed: enrolmentsEnded.lapsed, enrolmentsExpired: enrolmentsEnded.expired, grantsClosed: grants.closed, creditReturned: grants.returned, grantRuns, unseenPayments, folded, keysPurged };
}
