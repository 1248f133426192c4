import { performance } from 'node:perf_hooks';
import type { SkipReason, TaskLeases } from './db/task-leases.js';
import { purgeExpiredKeys } from './http/idempotency.js';
import { purgeExpiredRateLimits } from './http/rate-limits.js';
import { safeErrorText, type Metrics } from './lib/metrics.js';
import { escalateOverdueHolds } from './modules/claims/holds.js';
import { eraseLearnersPastRetention } from './modules/data-rights/erasure.service.js';
import type { ServiceDeps } from './modules/deps.js';
import { sweepEnrolments } from './modules/enrolments/enrolments.service.js';
import { publishClosedEquityReports } from './modules/equity/published-equity-report.js';
import { sweepGrants, workPendingGrantRuns } from './modules/grants/grants.service.js';
import { scanDeadlines } from './modules/notices/deadline-scans.js';
import { flagUnseenPayments } from './modules/reconciliation/reconciliation.service.js';

/**
 * Background work that keeps the books current: expire timed-out
 * reservations, return expired and lapsed credit to scheme budgets, resume
 * grant runs a crashed worker left, record the deadlines learners are told
 * of (src/modules/notices/deadline-scans.ts), escalate holds past their decision
 * deadline, fold payable deltas, forget old idempotency keys and expired
 * rate-limit counters, publish the equity report of each period that closed
 * (so nothing later moves it), erase the personal data of learners past retention.
 *
 * Each is a task of its own: one that fails is logged, counted in /metrics
 * and shown in /readyz (deps.metrics.tasks), and the others still run; its
 * result is undefined. Never throws.
 *
 * With `leases` (the service's replicas share them), a task runs only when
 * this process holds its lease: another process running it, or having run it
 * within the interval, skips it here (listed in `skipped`, result undefined).
 * Without, every task runs.
 */
export async function runMaintenance(deps: ServiceDeps & { metrics?: Metrics }, options: { leases?: TaskLeases } = {}) {
  const db = deps.database.db;
  const task = taskRunner(deps, options.leases);
  const expired = await task('expire_pending', () => deps.ledger.expirePending(db));
  const enrolmentsEnded = await task('sweep_enrolments', () => sweepEnrolments(deps));
  const grants = await task('sweep_grants', () => sweepGrants(deps));
  const grantRuns = await task('grant_runs', () => workPendingGrantRuns(deps));
  const unseenPayments = await task('unseen_payments', () => flagUnseenPayments(deps));
  const deadlines = await task('scan_deadlines', () => scanDeadlines(deps));
  const holdsEscalated = await task('escalate_holds', () => escalateOverdueHolds(deps));
  const fold = await task('fold_deltas', () => foldDeltas(deps));
  const keysPurged = await task('purge_idempotency_keys', () => purgeExpiredKeys(db, deps.clock));
  const rateLimitsPurged = await task('purge_rate_limits', () => purgeExpiredRateLimits(db));
  const equityReports = await task('publish_equity_reports', () => publishClosedEquityReports(deps, db));
  const retention = await task('erase_past_retention', () => eraseLearnersPastRetention(deps));
  return {
    expired, enrolmentsLapsed: enrolmentsEnded?.lapsed, enrolmentsExpired: enrolmentsEnded?.expired, grantsClosed: grants?.closed,
    creditReturned: grants?.returned, grantRuns, unseenPayments, holdsEscalated, folded: fold?.folded, quarantined: fold?.quarantined, keysPurged,
    rateLimitsPurged, deadlines, equityReportsPublished: equityReports?.published, learnersErased: retention?.erased, failures: task.failures, skipped: task.skipped,
  };
}

export interface TaskFailure {
  task: string;
  /** Without personal data (safeErrorText). */
  error: string;
}

export interface TaskSkipped {
  task: string;
  reason: SkipReason;
}

/** Runs one named task, under its lease when there are leases: its failure is recorded and logged, never thrown. */
function taskRunner(deps: ServiceDeps & { metrics?: Metrics }, leases?: TaskLeases) {
  const failures: TaskFailure[] = [];
  const skipped: TaskSkipped[] = [];
  const run = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    const started = performance.now();
    try {
      const outcome = leases ? await leases.run(name, work) : { ran: true as const, result: await work() };
      if (!outcome.ran) {
        skipped.push({ task: name, reason: outcome.reason });
        deps.logger.debug({ task: name, reason: outcome.reason }, 'background task skipped: another replica has it');
        return undefined;
      }
      deps.metrics?.tasks.succeeded(name, deps.clock.now(), (performance.now() - started) / 1000);
      return outcome.result;
    } catch (err) {
      const at = deps.clock.now();
      const state = deps.metrics?.tasks.failed(name, at, err, (performance.now() - started) / 1000);
      const error = state?.lastError ?? safeErrorText(err);
      failures.push({ task: name, error });
      // The cleaned text only: a driver error's message, detail and parameters can hold a person's data.
      deps.logger.error({ task: name, error, consecutiveFailures: state?.consecutiveFailures }, 'background task failed');
      return undefined;
    }
  };
  return Object.assign(run, { failures, skipped });
}

/** Folds ledger deltas; a delta that cannot fit is set aside by the fold, and said here. */
async function foldDeltas(deps: ServiceDeps & { metrics?: Metrics }) {
  const db = deps.database.db;
  const r = await deps.ledger.fold(db);
  const held = await deps.ledger.quarantineSummary(db);
  deps.metrics?.quarantinedDeltas.set(held.deltas);
  if (r.quarantined > 0) {
    deps.logger.error(
      { quarantined: r.quarantined, quarantinedTotal: held.deltas, accounts: held.accounts },
      'the ledger fold set deltas aside: they would take an account past the int8 range (see ledger_quarantined_deltas)',
    );
  }
  return r;
}
