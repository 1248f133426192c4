import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { adminApi } from '../support/fixtures.js';
import { createHarness, type Harness } from '../support/harness.js';
import { startService, type ServiceProcess } from './service-process.js';

/**
 * Issue 15, "Replicas": two service processes on one database share the
 * background tasks. Each task runs once per interval across both (the
 * advisory lock and lease of src/db/task-leases.ts), the effects are not
 * doubled, and a process killed while it holds a task does not keep the
 * other from running it.
 */

const INTERVAL_MS = 400;
const TASKS = [
  'expire_pending', 'sweep_enrolments', 'sweep_grants', 'grant_runs', 'unseen_payments', 'scan_deadlines',
  'escalate_holds', 'fold_deltas', 'purge_idempotency_keys', 'purge_rate_limits', 'publish_equity_reports', 'erase_past_retention',
] as const;

let h: Harness;
const started: ServiceProcess[] = [];
const dataDirs: string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  // The harness clock at the real time: the processes sweep by the system clock.
  h = await createHarness({ now: new Date() });
});
afterEach(async () => {
  for (const s of started.splice(0)) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
    s.child.kill('SIGTERM');
    await s.exited();
  }
});
afterAll(async () => {
  await h?.close();
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A service process on the harness's database, sweeping every INTERVAL_MS. */
async function replica(): Promise<ServiceProcess> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-replica-'));
  await chmod(dataDir, 0o755);
  dataDirs.push(dataDir);
  const s = startService(
    ['--import', 'tsx', 'src/server.ts'],
    { DATABASE_URL: h.database.url, DATA_DIR: dataDir, SWEEP_INTERVAL_MS: String(INTERVAL_MS), SEED_DEMO: 'false', NODE_ENV: 'development', LOG_LEVEL: 'warn', DB_POOL_SIZE: '4' },
    await freePort(),
  );
  started.push(s);
  return s;
}

const owner = (s: ServiceProcess) => `${os.hostname()}:${s.child.pid}`;

interface LeaseRow { task: string; started_at: Date; started_by: string; finished_at: Date | null; outcome: string | null; runs: string }
const leases = async () =>
  new Map((await h.database.pool.query<LeaseRow>(`select * from background_task_runs`)).rows.map((r) => [r.task, r]));

/** Runs of each task this process counted in /metrics (the duration histogram's count, all outcomes). */
async function runsIn(s: ServiceProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`${s.base}/metrics`)).text();
  const runs = new Map<string, number>();
  for (const m of text.matchAll(/^background_task_duration_seconds_count\{task="([^"]+)",outcome="[^"]+"\} (\d+)$/gm)) {
    runs.set(m[1]!, (runs.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return runs;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('two service processes on one database', () => {
  it('when both sweep for several intervals, then each task runs once per interval across both, and an expired grant and a timed-out reservation are released once', async () => {
    const api = await adminApi(h);
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '100000');
    const expiring = (await api.grant((await api.learner()).id, { schemeId: scheme.id, amount: '20000', expiresAt: new Date(Date.now() + 3000).toISOString() })).body as { id: string };
    const reserved = (await api.grant((await api.learner()).id, { schemeId: scheme.id, amount: '30000' })).body as { id: string };
    const payable = randomUUID();
    await h.ledger.createAccounts(h.database.db, [{ id: payable, currency: 'SGD', kind: 'provider_payable', limit: 'none' }]);
    const reservation = randomUUID();
    await h.ledger.commit(h.database.db, [
      { id: reservation, kind: 'pending', debitAccountId: reserved.id, creditAccountId: payable, amount: 15000n, code: 'reservation', timeoutSeconds: 2 },
    ]);

    const [a, b] = [await replica(), await replica()];
    await Promise.all([a.healthy(), b.healthy()]);
    await until('every task to have run', async () => (await leases()).size === TASKS.length);
    const before = await leases();
    // Past the grant's expiry and the reservation's timeout, and many intervals.
    await sleep(Math.max(4000, 12 * INTERVAL_MS));

    const [runsA, runsB] = [await runsIn(a), await runsIn(b)];
    const after = await leases();
    for (const task of TASKS) {
      const [first, last] = [before.get(task)!, after.get(task)!];
      const runs = Number(last.runs) - Number(first.runs);
      expect(runs, task).toBeGreaterThanOrEqual(4);
      // Starts at least an interval apart (database time), across both processes: never twice in one interval.
      expect(runs * INTERVAL_MS, task).toBeLessThanOrEqual(last.started_at.getTime() - first.started_at.getTime());
      // Every run either process counted was a claimed one; one or two may have started since /metrics was read.
      const counted = (runsA.get(task) ?? 0) + (runsB.get(task) ?? 0);
      expect(counted, task).toBeLessThanOrEqual(Number(last.runs));
      expect(counted, task).toBeGreaterThanOrEqual(Number(last.runs) - 2);
      expect([owner(a), owner(b)], task).toContain(last.started_by);
    }

    const count = async (text: string, values: unknown[]) => (await h.database.pool.query<{ n: number }>(text, values)).rows[0]!.n;
    expect(await count(`select count(*)::int as n from ledger_transfers where debit_account_id = $1 and code = 'grant_expiry'`, [expiring.id])).toBe(1);
    expect(await count(`select count(*)::int as n from audit_events where entity_type = 'grant' and entity_id = $1 and action = 'grant.expired'`, [expiring.id])).toBe(1);
    expect(await count(`select count(*)::int as n from ledger_transfers where pending_id = $1 and kind = 'expire_pending'`, [reservation])).toBe(1);
  }, 180_000);

  it('when the process running a task is killed with kill -9, then the other is refused the task while it ran and runs it in a later interval', async () => {
    // The purge waits on this lock, so the first process is caught holding the task.
    const blocker = new pg.Client({ connectionString: h.database.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table rate_limits in access exclusive mode');
      const a = await replica();
      await a.healthy();
      await until('the first process to start the purge', async () => {
        const row = (await leases()).get('purge_rate_limits');
        return row?.started_by === owner(a) && row.finished_at === null && Date.now() - row.started_at.getTime() > 2 * INTERVAL_MS;
      });
      const b = await replica();
      await b.healthy();
      await sleep(4 * INTERVAL_MS);
      // Due by the lease's time, but locked by the first process: the second skipped it.
      expect((await leases()).get('purge_rate_limits')?.started_by).toBe(owner(a));
      expect((await runsIn(b)).get('purge_rate_limits')).toBeUndefined();

      a.child.kill('SIGKILL');
      await a.exited();
      await until('the second process to take the purge over', async () => (await leases()).get('purge_rate_limits')?.started_by === owner(b));
      await blocker.query('commit');
      await until('the second process to finish the purge', async () => {
        const row = (await leases()).get('purge_rate_limits');
        return row?.started_by === owner(b) && row.outcome === 'ok';
      });
      // The run is counted in /metrics once the lease says ok and the lock is let go, a moment later.
      await until('the second process to count its run in /metrics', async () => ((await runsIn(b)).get('purge_rate_limits') ?? 0) >= 1);
    } finally {
      await blocker.end();
    }
  }, 180_000);
});
