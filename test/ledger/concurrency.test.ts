import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Ledger } from '../../src/ledger/ledger.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import type { TransferInput } from '../../src/ledger/types.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';
import { account, countTransfersWithId, counters, fundedBook, tally, transferById, transferRows } from './fixtures.js';

const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'));
const ledger = new Ledger({ clock });
const POOL = 50;
const database = useTestDatabase({ poolSize: POOL });

/**
 * Reads the grant's balance in a loop on a connection of its own while the
 * storm runs, and records every sample, so "never negative" is observed
 * during the race and not only after it.
 */
async function sampleWhile<T>(grant: string, work: Promise<T>) {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const samples: { dp: bigint; dpo: bigint; cpo: bigint }[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      const r = await client.query<{ dp: string; dpo: string; cpo: string }>(
        'select debits_pending::text dp, debits_posted::text dpo, credits_posted::text cpo from ledger_balances where id = $1',
        [grant],
      );
      const row = r.rows[0]!;
      samples.push({ dp: BigInt(row.dp), dpo: BigInt(row.dpo), cpo: BigInt(row.cpo) });
    }
  })();
  try {
    return { result: await work, samples };
  } finally {
    done = true;
    await loop;
    await client.end();
  }
}

/** Checks that the pool really ran the calls side by side (more than one backend busy at once). */
async function backendsOf(name: string): Promise<number> {
  const r = await database.pool.query<{ n: number }>(
    `select count(*)::int n from pg_stat_activity where datname = $1`,
    [name],
  );
  return r.rows[0]!.n;
}

describe('concurrent transfers against one limited account', () => {
  it('when 200 reservations race for a grant funded for exactly 10, then exactly 10 are ok and 190 exceed credits', async () => {
    const amount = 1_234n;
    const { grant, payable } = await fundedBook(ledger, database.db, 10n * amount);
    const transfers: TransferInput[] = Array.from({ length: 200 }, () => ({
      id: randomUUID(),
      kind: 'pending',
      debitAccountId: grant,
      creditAccountId: payable,
      amount,
      code: 'reservation',
      timeoutSeconds: 3600,
    }));

    const { result, samples } = await sampleWhile(
      grant,
      Promise.all(transfers.map((t) => ledger.createTransfers(database.db, [t]).then((r) => r[0]!))),
    );

    expect(tally(result)).toEqual({ ok: 10, exceeds_credits: 190 });
    expect(await backendsOf(database.name)).toBeGreaterThan(10);
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(s.cpo - s.dpo - s.dp).toBeGreaterThanOrEqual(0n);
      expect(s.dp).toBeLessThanOrEqual(10n * amount);
    }
    const b = counters(await ledger.balance(database.db, grant));
    expect(b).toEqual({ debitsPending: 10n * amount, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10n * amount });
    const p = counters(await ledger.balance(database.db, payable));
    expect(p).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 10n * amount, creditsPosted: 0n });

    // The winners are exactly the rows that exist; the losers left nothing behind.
    const rows = (await transferRows(database.db, [grant])).filter((r) => r.kind === 'pending');
    const winners = new Set(transfers.filter((_, i) => result[i] === 'ok').map((t) => t.id));
    expect(rows).toHaveLength(10);
    expect(new Set(rows.map((r) => r.id))).toEqual(winners);
    expect(rows.every((r) => r.state === 'pending' && BigInt(r.amount) === amount)).toBe(true);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when 200 posted transfers race for a grant funded for exactly 10, then exactly 10 are ok and the grant ends at zero', async () => {
    const amount = 777n;
    const { grant, payable } = await fundedBook(ledger, database.db, 10n * amount);
    const transfers: TransferInput[] = Array.from({ length: 200 }, () => ({
      id: randomUUID(),
      kind: 'posted',
      debitAccountId: grant,
      creditAccountId: payable,
      amount,
      code: 'claim_payment',
    }));

    const { result, samples } = await sampleWhile(
      grant,
      Promise.all(transfers.map((t) => ledger.createTransfers(database.db, [t]).then((r) => r[0]!))),
    );

    expect(tally(result)).toEqual({ ok: 10, exceeds_credits: 190 });
    for (const s of samples) expect(s.cpo - s.dpo - s.dp).toBeGreaterThanOrEqual(0n);
    expect(counters(await ledger.balance(database.db, grant))).toEqual({
      debitsPending: 0n,
      debitsPosted: 10n * amount,
      creditsPending: 0n,
      creditsPosted: 10n * amount,
    });
    expect(counters(await ledger.balance(database.db, payable))).toMatchObject({ creditsPosted: 10n * amount, creditsPending: 0n });
    expect((await transferRows(database.db, [grant])).filter((r) => r.code !== 'grant' && r.kind === 'posted' && r.credit_account_id === payable)).toHaveLength(10);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when 100 linked two-grant reservations race, then each commits on both grants or on neither', async () => {
    const amount = 100n;
    // Grant A can cover 10 draws, grant B only 5: exactly 5 chains can succeed.
    const a = await fundedBook(ledger, database.db, 10n * amount);
    const b = await fundedBook(ledger, database.db, 5n * amount);
    const chains = Array.from({ length: 100 }, (): TransferInput[] => [
      { id: randomUUID(), kind: 'pending', debitAccountId: a.grant, creditAccountId: a.payable, amount, code: 'reservation', linked: true },
      { id: randomUUID(), kind: 'pending', debitAccountId: b.grant, creditAccountId: a.payable, amount, code: 'reservation' },
    ]);
    const results = await Promise.all(chains.map((c) => ledger.createTransfers(database.db, c)));

    const okChains = results.filter((r) => r[0] === 'ok' && r[1] === 'ok').length;
    expect(okChains).toBe(5);
    for (const r of results) {
      if (r[0] === 'ok') expect(r[1]).toBe('ok');
      else expect(r).toEqual(['linked_event_failed', 'exceeds_credits']);
    }
    expect(counters(await ledger.balance(database.db, a.grant))).toMatchObject({ debitsPending: 5n * amount });
    expect(counters(await ledger.balance(database.db, b.grant))).toMatchObject({ debitsPending: 5n * amount });
    expect(counters(await ledger.balance(database.db, a.payable))).toMatchObject({ creditsPending: 10n * amount });
    expect((await transferRows(database.db, [a.grant, b.grant])).filter((r) => r.kind === 'pending')).toHaveLength(10);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('concurrent transfers between two limited accounts', () => {
  it('when 200 transfers race in both directions between a budget and a grant, then none deadlocks and the balances are exact', async () => {
    const treasury = await account(ledger, database.db, 'treasury', 'none');
    const budget = await account(ledger, database.db, 'scheme_budget', 'debits_must_not_exceed_credits');
    const grant = await account(ledger, database.db, 'learner_grant', 'debits_must_not_exceed_credits');
    await ledger.commit(database.db, [
      { id: randomUUID(), kind: 'posted', debitAccountId: treasury, creditAccountId: budget, amount: 100_000n, code: 'allocation' },
      { id: randomUUID(), kind: 'posted', debitAccountId: treasury, creditAccountId: grant, amount: 100_000n, code: 'grant' },
    ]);
    // Even: budget -> grant (a grant). Odd: grant -> budget (an expiry returning credit).
    const settled = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        ledger.createTransfers(database.db, [
          {
            id: randomUUID(),
            kind: 'posted',
            debitAccountId: i % 2 === 0 ? budget : grant,
            creditAccountId: i % 2 === 0 ? grant : budget,
            amount: BigInt(1 + (i % 7)),
            code: i % 2 === 0 ? 'grant' : 'expiry',
          },
        ]),
      ),
    );
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String((s.reason as { cause?: { code?: string } }).cause?.code ?? s.reason)] : []));
    expect(failures).toEqual([]);
    expect(settled.every((s) => s.status === 'fulfilled' && s.value[0] === 'ok')).toBe(true);
    const out = (parity: number) => Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 2 === parity).reduce((s, i) => s + BigInt(1 + (i % 7)), 0n);
    expect(counters(await ledger.balance(database.db, budget))).toEqual({ debitsPending: 0n, debitsPosted: out(0), creditsPending: 0n, creditsPosted: 100_000n + out(1) });
    expect(counters(await ledger.balance(database.db, grant))).toEqual({ debitsPending: 0n, debitsPosted: out(1), creditsPending: 0n, creditsPosted: 100_000n + out(0) });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('idempotent transfer ids', () => {
  it('when the same transfer id is sent twice in sequence, then the second answers exists and one row moved the money once', async () => {
    const { grant, payable } = await fundedBook(ledger, database.db, 10_000n);
    const t: TransferInput = { id: randomUUID(), kind: 'pending', debitAccountId: grant, creditAccountId: payable, amount: 2_500n, code: 'reservation', timeoutSeconds: 600 };
    expect(await ledger.createTransfers(database.db, [t])).toEqual(['ok']);
    expect(await ledger.createTransfers(database.db, [t])).toEqual(['exists']);
    expect(await countTransfersWithId(database.db, t.id)).toBe(1);
    expect(counters(await ledger.balance(database.db, grant))).toEqual({ debitsPending: 2_500n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(counters(await ledger.balance(database.db, payable))).toMatchObject({ creditsPending: 2_500n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when the same transfer id is sent 20 times at once, then exactly one is ok, 19 exist, and the balance moved once', async () => {
    const { grant, payable } = await fundedBook(ledger, database.db, 10_000n);
    const t: TransferInput = { id: randomUUID(), kind: 'posted', debitAccountId: grant, creditAccountId: payable, amount: 3_000n, code: 'claim_payment' };
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.createTransfers(database.db, [t]).then((r) => r[0]!)));
    expect(tally(results)).toEqual({ ok: 1, exists: 19 });
    expect(await countTransfersWithId(database.db, t.id)).toBe(1);
    expect(counters(await ledger.balance(database.db, grant))).toEqual({ debitsPending: 0n, debitsPosted: 3_000n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(counters(await ledger.balance(database.db, payable))).toMatchObject({ creditsPosted: 3_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when the same pending id is sent 20 times at once, then one reservation exists and the grant holds it once', async () => {
    const { grant, payable } = await fundedBook(ledger, database.db, 1_000n);
    const t: TransferInput = { id: randomUUID(), kind: 'pending', debitAccountId: grant, creditAccountId: payable, amount: 1_000n, code: 'reservation' };
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.createTransfers(database.db, [t]).then((r) => r[0]!)));
    // The grant covers exactly one: a duplicate that slipped past idempotency would answer exceeds_credits.
    expect(tally(results)).toEqual({ ok: 1, exists: 19 });
    expect(await countTransfersWithId(database.db, t.id)).toBe(1);
    expect(counters(await ledger.balance(database.db, grant))).toMatchObject({ debitsPending: 1_000n, debitsPosted: 0n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a transfer id is reused with a different amount, then it answers exists_with_different_amount and nothing moves', async () => {
    const { grant, payable } = await fundedBook(ledger, database.db, 10_000n);
    const t: TransferInput = { id: randomUUID(), kind: 'posted', debitAccountId: grant, creditAccountId: payable, amount: 1_000n, code: 'claim_payment' };
    expect(await ledger.createTransfers(database.db, [t])).toEqual(['ok']);
    const before = counters(await ledger.balance(database.db, grant));
    expect(await ledger.createTransfers(database.db, [{ ...t, amount: 1_001n }])).toEqual(['exists_with_different_amount']);
    expect(await ledger.createTransfers(database.db, [{ ...t, creditAccountId: grant, debitAccountId: payable }])).toEqual([
      'exists_with_different_debit_account_id',
    ]);
    expect(await ledger.createTransfers(database.db, [{ ...t, kind: 'pending' }])).toEqual(['exists_with_different_kind']);
    expect(counters(await ledger.balance(database.db, grant))).toEqual(before);
    expect(before).toEqual({ debitsPending: 0n, debitsPosted: 1_000n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await countTransfersWithId(database.db, t.id)).toBe(1);
    expect((await transferById(database.db, t.id))?.amount).toBe('1000');
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when the same id races with different amounts, then one wins and every other answer is exists or exists_with_different_amount', async () => {
    const { grant, payable } = await fundedBook(ledger, database.db, 100_000n);
    const id = randomUUID();
    const amounts = Array.from({ length: 20 }, (_, i) => BigInt(100 + (i % 4)));
    const results = await Promise.all(
      amounts.map((amount) =>
        ledger.createTransfers(database.db, [{ id, kind: 'posted', debitAccountId: grant, creditAccountId: payable, amount, code: 'claim_payment' }]).then((r) => r[0]!),
      ),
    );
    const winner = BigInt((await transferById(database.db, id))!.amount);
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    results.forEach((r, i) => {
      if (r === 'ok') expect(amounts[i]).toBe(winner);
      else expect(r).toBe(amounts[i] === winner ? 'exists' : 'exists_with_different_amount');
    });
    expect(counters(await ledger.balance(database.db, grant))).toMatchObject({ debitsPosted: winner });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('concurrent resolution of one pending transfer', () => {
  it('when 10 posts and 10 voids of one reservation race, then exactly one resolves it and the rest are refused', async () => {
    const { grant, payable } = await fundedBook(ledger, database.db, 5_000n);
    const pendingId = randomUUID();
    await ledger.commit(database.db, [{ id: pendingId, kind: 'pending', debitAccountId: grant, creditAccountId: payable, amount: 4_000n, code: 'reservation', timeoutSeconds: 3600 }]);
    const attempts: TransferInput[] = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? { id: randomUUID(), kind: 'post_pending', pendingId, amount: 3_000n, code: 'claim' }
        : { id: randomUUID(), kind: 'void_pending', pendingId, code: 'cancel' },
    );
    const results = await Promise.all(attempts.map((t) => ledger.createTransfers(database.db, [t]).then((r) => r[0]!)));
    const winners = results.map((r, i) => ({ r, t: attempts[i]! })).filter((x) => x.r === 'ok');
    expect(winners).toHaveLength(1);
    const won = winners[0]!.t.kind;
    const refusal = won === 'post_pending' ? 'pending_transfer_already_posted' : 'pending_transfer_already_voided';
    expect(tally(results)).toEqual({ ok: 1, [refusal]: 19 });
    expect((await transferById(database.db, pendingId))?.state).toBe(won === 'post_pending' ? 'posted' : 'voided');
    const g = counters(await ledger.balance(database.db, grant));
    expect(g).toEqual({ debitsPending: 0n, debitsPosted: won === 'post_pending' ? 3_000n : 0n, creditsPending: 0n, creditsPosted: 5_000n });
    const resolutions = (await transferRows(database.db, [grant])).filter((r) => r.pending_id === pendingId);
    expect(resolutions).toHaveLength(1);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when five sweepers expire the same 60 timed-out reservations at once, then each is expired exactly once', async () => {
    const sweepClock = new ManualClock(clock.now());
    const sweepLedger = new Ledger({ clock: sweepClock });
    const { grant, payable } = await fundedBook(ledger, database.db, 60_000n);
    const ids = Array.from({ length: 60 }, () => randomUUID());
    await sweepLedger.commit(
      database.db,
      ids.map((id) => ({ id, kind: 'pending', debitAccountId: grant, creditAccountId: payable, amount: 1_000n, code: 'reservation', timeoutSeconds: 60 })),
    );
    expect(counters(await ledger.balance(database.db, grant))).toMatchObject({ debitsPending: 60_000n });
    // 61 s on: every other pending transfer in this file has a timeout of 600 s or more, or none.
    sweepClock.advance(61_000);
    const swept = await Promise.all(Array.from({ length: 5 }, () => sweepLedger.expirePending(database.db, 7)).concat(
      Array.from({ length: 5 }, () => sweepLedger.expirePending(database.db, 1000)),
    ));
    expect(swept.reduce((s, n) => s + n, 0)).toBe(60);
    const rows = await transferRows(database.db, [grant]);
    const expiries = rows.filter((r) => r.kind === 'expire_pending');
    expect(expiries).toHaveLength(60);
    expect(new Set(expiries.map((r) => r.pending_id))).toEqual(new Set(ids));
    expect(rows.filter((r) => r.kind === 'pending').every((r) => r.state === 'expired')).toBe(true);
    expect(counters(await ledger.balance(database.db, grant))).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 60_000n });
    expect(counters(await ledger.balance(database.db, payable))).toMatchObject({ creditsPending: 0n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});
