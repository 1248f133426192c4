import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { auditCount, recordAudit, verifyAuditChain, type AuditEntry } from '../../src/modules/audit/audit.repo.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

// Every test gets a database of its own: tampering breaks a chain for good.
const open: TestDatabase[] = [];
async function freshDatabase(poolSize?: number): Promise<TestDatabase> {
  const d = await createTestDatabase(poolSize === undefined ? {} : { poolSize });
  open.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.drop()));
});

const T0 = Date.parse('2027-03-01T09:00:00Z');
const ACTIONS = ['enrolment.reserved', 'claim.submitted', 'claim.approved', 'payment.disbursed', 'grant.expired'];

function entry(entityId: string, i: number): AuditEntry {
  return {
    actor: i % 3 === 0 ? { role: 'system', subject: 'sweeper' } : { role: 'finance', subject: `officer-${i % 4}` },
    action: ACTIONS[i % ACTIONS.length]!,
    entityType: i % 2 === 0 ? 'enrolment' : 'claim',
    entityId,
    requestId: `req-${i}`,
    details: { i, amount: String(1_000n * BigInt(i)), nested: { note: `event ${i}` } },
    at: new Date(T0 + i * 1_234),
  };
}

/** 50 events over 7 entities, in sequence. Returns the entity ids. */
async function seed(d: TestDatabase): Promise<string[]> {
  const entities = Array.from({ length: 7 }, () => randomUUID());
  for (let i = 0; i < 50; i++) await recordAudit(d.db, entry(entities[i % entities.length]!, i));
  return entities;
}

interface EventRow {
  chain: number;
  seq: string;
  [k: string]: unknown;
}

/** The n-th event (0-based, by seq) of the chain that holds the entity, and how many events that chain has. */
async function eventOf(d: TestDatabase, entityId: string, n: number): Promise<{ chain: number; seq: bigint; last: bigint }> {
  const r = await d.db.execute<EventRow>(sql`
    select chain, seq::text from audit_events
     where chain = (select chain from audit_events where entity_id = ${entityId} limit 1)
     order by audit_events.seq`);
  const row = r.rows[n];
  if (!row) throw new Error(`no event #${n} for ${entityId}`);
  return { chain: row.chain, seq: BigInt(row.seq), last: BigInt(r.rows[r.rows.length - 1]!.seq) };
}

/** Every chain has seq 1..n without gaps or duplicates, and its head says n. */
async function chainsAreDense(d: TestDatabase): Promise<void> {
  const r = await d.db.execute<{ chain: number; n: string; min: string; max: string; distinct_seq: string; head: string }>(sql`
    select e.chain, count(*)::text n, min(e.seq)::text min, max(e.seq)::text max, count(distinct e.seq)::text distinct_seq, h.seq::text head
      from audit_events e join audit_chain_heads h on h.chain = e.chain
     group by e.chain, h.seq`);
  for (const c of r.rows) {
    expect({ chain: c.chain, min: c.min, max: c.max, distinct: c.distinct_seq, head: c.head }).toEqual({ chain: c.chain, min: '1', max: c.n, distinct: c.n, head: c.n });
  }
}

describe('audit hash chain', () => {
  it('when 50 events are recorded over several entities, then the chain verifies and every event is hashed in order', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    expect(await auditCount(d.db)).toBe(50n);
    expect(await verifyAuditChain(d.db)).toEqual([]);
    await chainsAreDense(d);
    // Every event of one entity lands on one chain, in the order it was recorded.
    const r = await d.db.execute<{ chains: number; ordered: boolean }>(sql`
      select count(distinct chain)::int chains, bool_and(occurred_at >= prev_at or prev_at is null) ordered
        from (select chain, occurred_at, lag(occurred_at) over (partition by chain order by seq) prev_at
                from audit_events where entity_id = ${entities[0]!}) x`);
    expect(r.rows[0]).toEqual({ chains: 1, ordered: true });
    // The stored hash is not a constant or a copy: all 50 differ.
    const hashes = await d.db.execute<{ n: number }>(sql`select count(distinct hash)::int n from audit_events`);
    expect(hashes.rows[0]!.n).toBe(50);
  });

  it("when one row's details are altered, then verify reports hash_mismatch at exactly that chain and seq", async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const target = await eventOf(d, entities[2]!, 1);
    await d.db.execute(sql`update audit_events set details = details || '{"amount":"1"}'::jsonb where chain = ${target.chain} and seq = ${target.seq}`);
    expect(await verifyAuditChain(d.db)).toEqual([{ chain: target.chain, seq: target.seq, problem: 'hash_mismatch' }]);
  });

  it("when one row's action is altered, then verify reports hash_mismatch at that row", async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const target = await eventOf(d, entities[4]!, 0);
    await d.db.execute(sql`update audit_events set action = 'claim.rejected' where chain = ${target.chain} and seq = ${target.seq}`);
    expect(await verifyAuditChain(d.db)).toEqual([{ chain: target.chain, seq: target.seq, problem: 'hash_mismatch' }]);
  });

  it('when the actor, time or entity of a row is altered, then each is detected', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[1]!, 0);
    const alterations = [
      sql`update audit_events set actor_id = 'someone-else' where chain = ${e.chain} and seq = ${e.seq}`,
      sql`update audit_events set occurred_at = occurred_at + interval '1 microsecond' where chain = ${e.chain} and seq = ${e.seq}`,
      sql`update audit_events set entity_id = ${randomUUID()} where chain = ${e.chain} and seq = ${e.seq}`,
      sql`update audit_events set actor_role = 'admin' where chain = ${e.chain} and seq = ${e.seq}`,
    ];
    for (const alteration of alterations) {
      await d.db.transaction(async (tx) => {
        await tx.execute(alteration);
        expect(await verifyAuditChain(tx)).toEqual([{ chain: e.chain, seq: e.seq, problem: 'hash_mismatch' }]);
        tx.rollback();
      }).catch((err: unknown) => {
        if (!(err instanceof Error && err.message.includes('Rollback'))) throw err;
      });
    }
    expect(await verifyAuditChain(d.db)).toEqual([]);
  });

  it("when a row is altered and its own hash recomputed, then the next row's hash no longer matches", async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[3]!, 1);
    expect(e.last).toBeGreaterThan(e.seq);
    await d.db.execute(sql`
      update audit_events x
         set details = '{"forged":true}'::jsonb,
             hash = audit_digest(p.hash, x.chain, x.seq, x.occurred_at, x.actor_id, x.actor_role, x.action, x.entity_type,
                                 x.entity_id, x.request_id, '{"forged":true}'::jsonb)
        from audit_events p
       where p.chain = x.chain and p.seq = x.seq - 1 and x.chain = ${e.chain} and x.seq = ${e.seq}`);
    expect(await verifyAuditChain(d.db)).toEqual([{ chain: e.chain, seq: e.seq + 1n, problem: 'hash_mismatch' }]);
  });

  it('when the last row of a chain is deleted, then verify reports head_mismatch for that chain', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[5]!, 0);
    await d.db.execute(sql`delete from audit_events where chain = ${e.chain} and seq = ${e.last}`);
    expect(await verifyAuditChain(d.db)).toEqual([{ chain: e.chain, seq: e.last, problem: 'head_mismatch' }]);
  });

  it('when every row of a chain is deleted, then verify still reports head_mismatch', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[6]!, 0);
    await d.db.execute(sql`delete from audit_events where chain = ${e.chain}`);
    expect(await verifyAuditChain(d.db)).toEqual([{ chain: e.chain, seq: e.last, problem: 'head_mismatch' }]);
  });

  it('when a middle row is deleted, then verify reports a sequence gap and a hash mismatch at the next row', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[0]!, 1);
    expect(e.last).toBeGreaterThan(e.seq);
    await d.db.execute(sql`delete from audit_events where chain = ${e.chain} and seq = ${e.seq}`);
    const breaks = await verifyAuditChain(d.db);
    expect(breaks.length).toBeGreaterThan(0);
    for (const b of breaks) expect(b).toMatchObject({ chain: e.chain, seq: e.seq + 1n });
    expect(breaks.map((b) => b.problem).sort()).toEqual(['hash_mismatch', 'sequence_gap']);
  });

  it('when the first row of a chain is deleted, then verify reports it', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[1]!, 0);
    await d.db.execute(sql`delete from audit_events where chain = ${e.chain} and seq = 1`);
    const breaks = await verifyAuditChain(d.db);
    expect(breaks.map((b) => [b.chain, b.seq, b.problem]).sort()).toEqual([
      [e.chain, 2n, 'hash_mismatch'],
      [e.chain, 2n, 'sequence_gap'],
    ]);
  });

  it('when a forged event with a valid hash is appended without moving the head, then verify reports head_mismatch', async () => {
    const d = await freshDatabase();
    const entities = await seed(d);
    const e = await eventOf(d, entities[2]!, 0);
    await d.db.execute(sql`
      insert into audit_events (chain, seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, request_id, details, hash)
      select l.chain, l.seq + 1, l.occurred_at, 'intruder', 'admin', 'claim.approved', 'claim', l.entity_id, null, '{}'::jsonb,
             audit_digest(l.hash, l.chain, l.seq + 1, l.occurred_at, 'intruder', 'admin', 'claim.approved', 'claim', l.entity_id, null, '{}'::jsonb)
        from audit_events l where l.chain = ${e.chain} and l.seq = ${e.last}`);
    expect(await verifyAuditChain(d.db)).toEqual([{ chain: e.chain, seq: e.last, problem: 'head_mismatch' }]);
  });
});

describe('audit chain under concurrency', () => {
  it('when 100 events are recorded at once in separate transactions, then every chain is dense and verifies', async () => {
    const d = await freshDatabase(25);
    // Half on one entity (one chain, maximum contention), half spread out.
    const hot = randomUUID();
    const others = Array.from({ length: 10 }, () => randomUUID());
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        d.db.transaction(async (tx) => {
          await recordAudit(tx, entry(i % 2 === 0 ? hot : others[i % others.length]!, i));
          await tx.execute(sql`select pg_sleep(0.002)`);
        }),
      ),
    );
    expect(await auditCount(d.db)).toBe(100n);
    expect(await verifyAuditChain(d.db)).toEqual([]);
    await chainsAreDense(d);
    const hotChain = await eventOf(d, hot, 0);
    expect(hotChain.last).toBeGreaterThanOrEqual(50n);
    const dup = await d.db.execute<{ n: number }>(sql`select count(*)::int n from (select chain, seq from audit_events group by 1, 2 having count(*) > 1) x`);
    expect(dup.rows[0]!.n).toBe(0);
  });

  it('when audited transactions roll back, then neither their events nor gaps remain', async () => {
    const d = await freshDatabase(25);
    const entity = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        d.db.transaction(async (tx) => {
          await recordAudit(tx, entry(entity, i));
          if (i % 2 === 1) throw new Error('business rule failed after the audit');
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(20);
    expect(await auditCount(d.db)).toBe(20n);
    expect(await verifyAuditChain(d.db)).toEqual([]);
    await chainsAreDense(d);
    const r = await d.db.execute<{ n: number }>(sql`select count(*)::int n from audit_events where (details->>'i')::int % 2 = 1`);
    expect(r.rows[0]!.n).toBe(0);
  });
});
