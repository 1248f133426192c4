import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskLeases } from '../../src/db/task-leases.js';
import { runMaintenance } from '../../src/maintenance.js';
import { createHarness, type Harness } from '../support/harness.js';

/** The leases of src/db/task-leases.ts in one process, as two replicas would use them (test/ops/replicas.test.ts runs two). */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('background task leases', () => {
  it('when a replica has just run maintenance, then another skips every task as run recently; without leases every task runs', async () => {
    const first = await runMaintenance(h.deps, { leases: createTaskLeases(h.database.pool, { intervalMs: 60_000, owner: 'replica-1' }) });
    expect(first.skipped).toEqual([]);
    expect(first.keysPurged).toBe(0);

    const second = await runMaintenance(h.deps, { leases: createTaskLeases(h.database.pool, { intervalMs: 60_000, owner: 'replica-2' }) });
    expect(second.skipped.map((s) => s.reason)).toEqual(Array(12).fill('ran_recently'));
    expect(second.keysPurged).toBeUndefined();
    const rows = await h.database.pool.query<{ started_by: string; outcome: string; runs: string }>(`select started_by, outcome, runs from background_task_runs`);
    expect(rows.rows).toHaveLength(12);
    expect(new Set(rows.rows.map((r) => `${r.started_by} ${r.outcome} ${r.runs}`))).toEqual(new Set(['replica-1 ok 1']));

    expect((await runMaintenance(h.deps)).keysPurged).toBe(0);
  });

  it('when a task runs in one replica, then another is refused it however due, and gets it once the first is done', async () => {
    const one = createTaskLeases(h.database.pool, { intervalMs: 0, owner: 'replica-1' });
    const two = createTaskLeases(h.database.pool, { intervalMs: 0, owner: 'replica-2' });
    let finish!: () => void;
    const running = one.run('lease_test', () => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    await new Promise((r) => setTimeout(r, 200));
    expect(await two.run('lease_test', async () => 'twice')).toEqual({ ran: false, reason: 'running_elsewhere' });
    finish();
    expect(await running).toEqual({ ran: true, result: 'done' });
    expect(await two.run('lease_test', async () => 'next')).toEqual({ ran: true, result: 'next' });
  });

  it('when the work fails, then the run is recorded as failed, the error reaches the caller, and the lock is free again', async () => {
    const leases = createTaskLeases(h.database.pool, { intervalMs: 0, owner: 'replica-1' });
    await expect(leases.run('lease_failing', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const row = (await h.database.pool.query<{ outcome: string; finished_at: Date | null }>(`select outcome, finished_at from background_task_runs where task = 'lease_failing'`)).rows[0];
    expect(row?.outcome).toBe('failed');
    expect(row?.finished_at).not.toBeNull();
    expect(await leases.run('lease_failing', async () => 1)).toEqual({ ran: true, result: 1 });
  });
});
