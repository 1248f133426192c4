import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobQueue, type JobQueue } from '../../src/jobs/job-queue.js';
import { recordEvent, type OutboxEvent } from '../../src/modules/events/outbox.js';
import { relayOutbox, type EventConsumer } from '../../src/modules/events/relay.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();

const subject = () => ({ type: 'enrolment', id: randomUUID() });

async function undispatched(): Promise<number> {
  const r = await h.deps.database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events where dispatched_at is null`);
  return r.rows[0]!.n;
}

/** A consumer that remembers what it was handed. */
function collector(): EventConsumer & { seen: OutboxEvent[] } {
  const seen: OutboxEvent[] = [];
  return { name: 'collector', seen, fanOut: async (_tx, e) => void seen.push(e) };
}

describe('the outbox', () => {
  it('records an event only when its transaction commits', async () => {
    const db = h.deps.database.db;
    const rolledBack = subject();
    await expect(
      db.transaction(async (tx) => {
        await recordEvent(tx, { type: 'enrolment.requested', at: h.clock.now(), subject: rolledBack, data: { status: 'pending' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const committed = subject();
    await db.transaction((tx) => recordEvent(tx, { type: 'enrolment.requested', at: h.clock.now(), subject: committed }));
    const rows = await db.execute<{ subject_id: string }>(sql`select subject_id from outbox_events where subject_id in (${rolledBack.id}::uuid, ${committed.id}::uuid)`);
    expect(rows.rows.map((r) => r.subject_id)).toEqual([committed.id]);
  });

  it('records a scan event once per dedupe key', async () => {
    const s = subject();
    const e = { type: 'grant.expiring' as const, at: h.clock.now(), subject: s, data: { days: 30 }, dedupeKey: `grant.expiring:30:${s.id}` };
    expect(await recordEvent(h.deps.database.db, e)).toBe(true);
    expect(await recordEvent(h.deps.database.db, e)).toBe(false);
    const n = await h.deps.database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events where subject_id = ${s.id}::uuid`);
    expect(n.rows[0]!.n).toBe(1);
  });

  it('refuses a malformed event type', async () => {
    await expect(recordEvent(h.deps.database.db, { type: 'Not A Type' as never, at: h.clock.now(), subject: subject() })).rejects.toThrow();
  });
});

describe('the relay', () => {
  it('hands each event to every consumer once, in commit order, and marks it dispatched', async () => {
    await relayOutbox(h.deps, []);
    const subjects = Array.from({ length: 5 }, subject);
    for (const s of subjects) await recordEvent(h.deps.database.db, { type: 'claim.approved', at: h.clock.now(), subject: s, data: { amount: '1000' } });
    const a = collector();
    const b = collector();
    expect(await relayOutbox(h.deps, [a, b], { batchSize: 2 })).toEqual({ dispatched: 5 });
    expect(a.seen.map((e) => e.subjectId)).toEqual(subjects.map((s) => s.id));
    expect(b.seen.map((e) => e.subjectId)).toEqual(subjects.map((s) => s.id));
    expect(a.seen[0]!.data).toEqual({ amount: '1000' });
    expect(await undispatched()).toBe(0);
    expect(await relayOutbox(h.deps, [a])).toEqual({ dispatched: 0 });
    expect(a.seen).toHaveLength(5);
  });

  it('keeps a batch undispatched when a consumer fails, and hands it over on the next run', async () => {
    await relayOutbox(h.deps, []);
    const s = subject();
    await recordEvent(h.deps.database.db, { type: 'payment.settled', at: h.clock.now(), subject: s });
    const failing: EventConsumer = { name: 'failing', fanOut: async () => { throw new Error('receiver store down'); } };
    await expect(relayOutbox(h.deps, [failing])).rejects.toThrow('receiver store down');
    expect(await undispatched()).toBe(1);
    const c = collector();
    await relayOutbox(h.deps, [c]);
    expect(c.seen.map((e) => e.subjectId)).toEqual([s.id]);
  });

  it('never hands one event over twice when relays race on separate connections', async () => {
    await relayOutbox(h.deps, []);
    const subjects = Array.from({ length: 60 }, subject);
    for (const s of subjects) await recordEvent(h.deps.database.db, { type: 'enrolment.consented', at: h.clock.now(), subject: s });
    const seen: string[] = [];
    const slow: EventConsumer = {
      name: 'slow',
      fanOut: async (tx, e) => {
        await tx.execute(sql`select pg_sleep(0.002)`);
        seen.push(e.id);
      },
    };
    const results = await Promise.all([1, 2, 3, 4].map(() => relayOutbox(h.deps, [slow], { batchSize: 7 })));
    expect(results.reduce((n, r) => n + r.dispatched, 0)).toBe(60);
    expect(new Set(seen).size).toBe(60);
    expect(seen).toHaveLength(60);
  });
});

describe('the job queue', () => {
  let jobs: JobQueue;
  beforeAll(async () => {
    jobs = await startJobQueue(h.deps.database.pool, h.deps.logger, { schema: 'pgboss_test' });
    await jobs.define('test.echo', { retryLimit: 0 });
  });
  afterAll(async () => jobs?.stop());

  it('runs a job enqueued in a committed transaction, and never one whose transaction rolled back', async () => {
    const done: string[] = [];
    await jobs.work<{ tag: string }>('test.echo', async (d) => void done.push(d.tag), { pollingIntervalSeconds: 0.5 });
    await expect(
      h.deps.database.db.transaction(async (tx) => {
        await jobs.enqueue(tx, 'test.echo', { tag: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await h.deps.database.db.transaction((tx) => jobs.enqueue(tx, 'test.echo', { tag: 'committed' }));
    const deadline = Date.now() + 15_000;
    while (!done.includes('committed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    expect(done).toEqual(['committed']);
  });

  it('starts and defines the same queues from four processes at once without a race on the schema or a deadlock', async () => {
    const queues = await Promise.all([1, 2, 3, 4].map(async () => {
      const q = await startJobQueue(h.deps.database.pool, h.deps.logger, { schema: 'pgboss_race' });
      for (const name of ['race.a', 'race.b', 'race.c']) await q.define(name, { retryLimit: 1 });
      return q;
    }));
    try {
      const defined = await h.deps.database.pool.query(`select name from pgboss_race.queue where name like 'race.%' order by name`);
      expect(defined.rows.map((r) => r.name)).toEqual(['race.a', 'race.b', 'race.c']);
    } finally {
      for (const q of queues) await q.stop();
    }
  });

  it('refuses a job for a queue nobody defined, failing the transaction rather than losing the work', async () => {
    const s = subject();
    await expect(h.deps.database.db.transaction(async (tx) => {
      await recordEvent(tx, { type: 'claim.approved', at: h.clock.now(), subject: s });
      await jobs.enqueue(tx, 'test.undefined', { tag: 'lost?' });
    })).rejects.toThrow(/not defined/);
    const n = await h.deps.database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events where subject_id = ${s.id}::uuid`);
    expect(n.rows[0]!.n).toBe(0);
  });
});
