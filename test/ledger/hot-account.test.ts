import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';
import { account, accountRow, counters, deltaRows, fundedBook, type Counters } from './fixtures.js';

const database = useTestDatabase();
const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'));
const ledger = new Ledger({ clock });

/** A connection of its own (not from the pool), as drizzle, with an optional statement_timeout. */
async function session(statementTimeout?: string): Promise<{ client: pg.Client; db: Db }> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  if (statementTimeout) await client.query(`set statement_timeout = '${statementTimeout}'`);
  return { client, db: drizzle(client, { schema }) as unknown as Db };
}

async function grantFor(amount: bigint): Promise<string> {
  return (await fundedBook(ledger, database.db, amount)).grant;
}

describe('the provider payable is a hot account, not a queue', () => {
  it('when a reservation crediting the payable is left uncommitted, then another grant can still reserve into the same payable', async () => {
    const grantA = await grantFor(10_000n);
    const grantB = await grantFor(10_000n);
    const payable = await account(ledger, database.db, 'provider_payable', 'none');
    const clearing = await account(ledger, database.db, 'bank_clearing', 'none');

    const first = await session();
    const second = await session('2s');
    const control = await session('1s');
    try {
      await first.client.query('begin');
      const a = randomUUID();
      expect(
        await ledger.createTransfers(first.db, [
          { id: a, kind: 'pending', debitAccountId: grantA, creditAccountId: payable, amount: 4_000n, code: 'reservation', timeoutSeconds: 3600 },
        ]),
      ).toEqual(['ok']);

      // Another learner, same provider: must not wait for the open transaction.
      const started = Date.now();
      const b = randomUUID();
      expect(
        await ledger.createTransfers(second.db, [
          { id: b, kind: 'pending', debitAccountId: grantB, creditAccountId: payable, amount: 3_000n, code: 'reservation', timeoutSeconds: 3600 },
        ]),
      ).toEqual(['ok']);
      // The payable is also debited (a disbursement) and posted against without waiting.
      expect(
        await ledger.createTransfers(second.db, [
          { id: randomUUID(), kind: 'post_pending', pendingId: b, amount: 2_000n, code: 'claim' },
          { id: randomUUID(), kind: 'posted', debitAccountId: payable, creditAccountId: clearing, amount: 500n, code: 'disbursement' },
        ]),
      ).toEqual(['ok', 'ok']);
      // Folding the payable's deltas does not wait for the open transaction either.
      expect(await ledger.foldDeltas(second.db)).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(2_000);

      // Control: the same statement_timeout does catch a real block. The first
      // transaction holds grant A's row, so a second draw on grant A must wait and is cancelled.
      await expect(
        control.client.query(`select * from ledger_create_transfers($1::jsonb, $2::timestamptz)`, [
          JSON.stringify([{ id: randomUUID(), kind: 'pending', debit_account_id: grantA, credit_account_id: payable, amount: '1', code: 'reservation' }]),
          clock.now().toISOString(),
        ]),
      ).rejects.toMatchObject({ code: '57014' });

      // Before the commit nobody else sees the first reservation.
      expect(counters(await ledger.balance(database.db, payable))).toEqual({ debitsPending: 0n, debitsPosted: 500n, creditsPending: 0n, creditsPosted: 2_000n });
      await first.client.query('commit');
    } finally {
      await first.client.query('rollback').catch(() => undefined);
      await Promise.all([first.client.end(), second.client.end(), control.client.end()]);
    }

    expect(counters(await ledger.balance(database.db, payable))).toEqual({ debitsPending: 0n, debitsPosted: 500n, creditsPending: 4_000n, creditsPosted: 2_000n });
    expect(counters(await ledger.balance(database.db, grantA))).toMatchObject({ debitsPending: 4_000n, debitsPosted: 0n });
    expect(counters(await ledger.balance(database.db, grantB))).toMatchObject({ debitsPending: 0n, debitsPosted: 2_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when 40 grants reserve into one payable at once, then none waits on the payable row and its row is never updated in place', async () => {
    const payable = await account(ledger, database.db, 'provider_payable', 'none');
    const grants = await Promise.all(Array.from({ length: 40 }, () => grantFor(1_000n)));
    const rowBefore = await accountRow(database.db, payable);
    const results = await Promise.all(
      grants.map((g) =>
        ledger.createTransfers(database.db, [
          { id: randomUUID(), kind: 'pending', debitAccountId: g, creditAccountId: payable, amount: 250n, code: 'reservation' },
        ]),
      ),
    );
    expect(results.flat().every((r) => r === 'ok')).toBe(true);
    expect(await accountRow(database.db, payable)).toEqual(rowBefore);
    expect(await deltaRows(database.db, [payable])).toBe(40);
    expect(counters(await ledger.balance(database.db, payable))).toMatchObject({ creditsPending: 40n * 250n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('folding deltas', () => {
  it('when deltas are folded, then they move into the account rows and ledger_balances shows the same totals before and after', async () => {
    const treasury = await account(ledger, database.db, 'treasury', 'none');
    const payable = await account(ledger, database.db, 'provider_payable', 'none');
    const grants = Array.from({ length: 6 }, () => randomUUID());
    await ledger.createAccounts(
      database.db,
      grants.map((id) => ({ id, currency: 'SGD' as const, kind: 'learner_grant' as const, limit: 'debits_must_not_exceed_credits' as const })),
    );
    await ledger.commit(
      database.db,
      grants.map((g) => ({ id: randomUUID(), kind: 'posted' as const, debitAccountId: treasury, creditAccountId: g, amount: 5_000n, code: 'grant' })),
    );
    const N = 30;
    const pendings: string[] = [];
    for (let i = 0; i < N; i++) {
      const id = randomUUID();
      pendings.push(id);
      await ledger.commit(database.db, [
        { id, kind: 'pending', debitAccountId: grants[i % grants.length]!, creditAccountId: payable, amount: BigInt(100 + i), code: 'reservation' },
      ]);
    }
    // Some resolutions, so deltas carry negative pending amounts too.
    for (let i = 0; i < N; i += 3) {
      await ledger.commit(database.db, [{ id: randomUUID(), kind: 'post_pending', pendingId: pendings[i]!, amount: 50n, code: 'claim' }]);
      await ledger.commit(database.db, [{ id: randomUUID(), kind: 'void_pending', pendingId: pendings[i + 1]!, code: 'cancel' }]);
    }
    const ids = [treasury, payable, ...grants];
    const viewBefore = await ledger.balances(database.db, ids);
    const payableView = counters(viewBefore.get(payable));
    const expectedPayable: Counters = {
      debitsPending: 0n,
      debitsPosted: 0n,
      creditsPending: pendings.reduce((s, _, i) => (i % 3 === 2 ? s + BigInt(100 + i) : s), 0n),
      creditsPosted: 50n * 10n,
    };
    expect(payableView).toEqual(expectedPayable);
    expect(await accountRow(database.db, payable)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });
    expect(await deltaRows(database.db, [payable])).toBe(N + 20);
    expect(await deltaRows(database.db, [treasury])).toBe(6);

    // Fold in small steps while a reader watches the view: every read shows the same totals.
    const reader = new pg.Client({ connectionString: database.url });
    await reader.connect();
    const seen = new Set<string>();
    let folding = true;
    const watch = (async () => {
      while (folding) {
        const r = await reader.query<{ v: string }>(
          `select concat_ws('/', debits_pending, debits_posted, credits_pending, credits_posted) v from ledger_balances where id = $1`,
          [payable],
        );
        seen.add(r.rows[0]!.v);
      }
    })();
    let folded = 0;
    try {
      for (;;) {
        const n = await ledger.foldDeltas(database.db, 7);
        if (n === 0) break;
        folded += n;
      }
    } finally {
      folding = false;
      await watch;
      await reader.end();
    }
    expect(folded).toBeGreaterThanOrEqual(N + 20 + 6);
    expect([...seen]).toEqual([`0/0/${expectedPayable.creditsPending}/${expectedPayable.creditsPosted}`]);

    expect(await deltaRows(database.db, ids)).toBe(0);
    expect(await accountRow(database.db, payable)).toEqual(expectedPayable);
    expect(await accountRow(database.db, treasury)).toEqual(counters(viewBefore.get(treasury)));
    const viewAfter = await ledger.balances(database.db, ids);
    for (const id of ids) expect(counters(viewAfter.get(id))).toEqual(counters(viewBefore.get(id)));
    const totals = await database.db.execute<{ n: number }>(sql`select count(*)::int n from ledger_account_deltas`);
    expect(totals.rows[0]!.n).toBe(0);
    expect(await ledgerViolations(database.db)).toEqual([]);

    // New movement after the fold lands in deltas again and adds on top of the folded row.
    await ledger.commit(database.db, [{ id: randomUUID(), kind: 'posted', debitAccountId: payable, creditAccountId: treasury, amount: 123n, code: 'disbursement' }]);
    expect(counters(await ledger.balance(database.db, payable))).toEqual({ ...expectedPayable, debitsPosted: 123n });
    expect(await accountRow(database.db, payable)).toEqual(expectedPayable);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('folding deltas from several processes', () => {
  it('when eight folds run at once over reservations and their releases, then none fails and the totals are unchanged', async () => {
    const { createTestDatabase } = await import('../support/db.js');
    const { Ledger } = await import('../../src/ledger/ledger.js');
    const { ManualClock } = await import('../../src/lib/clock.js');
    const { ledgerViolations } = await import('../../src/ledger/invariants.js');
    const { randomUUID } = await import('node:crypto');
    const db = await createTestDatabase({ poolSize: 12 });
    try {
      const ledger = new Ledger({ clock: new ManualClock(new Date('2027-01-01T00:00:00Z')) });
      const [treasury, grant, payable] = [randomUUID(), randomUUID(), randomUUID()];
      await ledger.createAccounts(db.db, [
        { id: treasury, currency: 'SGD', kind: 'treasury', limit: 'none' },
        { id: grant, currency: 'SGD', kind: 'learner_grant', limit: 'debits_must_not_exceed_credits' },
        { id: payable, currency: 'SGD', kind: 'provider_payable', limit: 'none' },
      ]);
      await ledger.commit(db.db, [{ id: randomUUID(), kind: 'posted', debitAccountId: treasury, creditAccountId: grant, amount: 1_000_000n, code: 'grant' }]);
      for (let i = 0; i < 60; i++) {
        const pending = randomUUID();
        await ledger.commit(db.db, [{ id: pending, kind: 'pending', debitAccountId: grant, creditAccountId: payable, amount: 100n, code: 'reservation' }]);
        await ledger.commit(db.db, [{ id: randomUUID(), kind: i % 2 ? 'void_pending' : 'post_pending', pendingId: pending, code: 'release' }]);
      }
      const before = await ledger.balance(db.db, payable);
      const folds = await Promise.all(Array.from({ length: 8 }, () => ledger.foldDeltas(db.db, 7)));
      let total = folds.reduce((a, b) => a + b, 0);
      while (total < 121) total += await ledger.foldDeltas(db.db, 50);
      expect(await ledger.balance(db.db, payable)).toEqual(before);
      expect(before).toMatchObject({ creditsPending: 0n, creditsPosted: 3_000n });
      expect(await ledgerViolations(db.db)).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
