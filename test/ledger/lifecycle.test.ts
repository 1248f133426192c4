import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Ledger, LedgerRejected } from '../../src/ledger/ledger.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import type { TransferInput } from '../../src/ledger/types.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';
import { account, countTransfersWithId, counters, fundedBook, transferById, transferRows, type Book } from './fixtures.js';

const database = useTestDatabase();
// Only the expiry tests move this clock. Every other pending transfer in this
// file has no timeout or one of a day, so the sweeper's counts are exact.
const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'));
const ledger = new Ledger({ clock });
const DAY = 86_400;

async function reserve(book: Book, amount: bigint, timeoutSeconds: number | null = DAY): Promise<string> {
  const id = randomUUID();
  const t: TransferInput = { id, kind: 'pending', debitAccountId: book.grant, creditAccountId: book.payable, amount, code: 'reservation' };
  if (timeoutSeconds !== null) t.timeoutSeconds = timeoutSeconds;
  expect(await ledger.createTransfers(database.db, [t])).toEqual(['ok']);
  return id;
}

const post = (pendingId: string, amount?: bigint): TransferInput =>
  amount === undefined
    ? { id: randomUUID(), kind: 'post_pending', pendingId, code: 'claim' }
    : { id: randomUUID(), kind: 'post_pending', pendingId, amount, code: 'claim' };
const voidOf = (pendingId: string): TransferInput => ({ id: randomUUID(), kind: 'void_pending', pendingId, code: 'cancel' });

async function grantCounters(book: Book) {
  return counters(await ledger.balance(database.db, book.grant));
}
async function payableCounters(book: Book) {
  return counters(await ledger.balance(database.db, book.payable));
}

describe('pending transfer lifecycle', () => {
  it('when a reservation is voided, then its whole amount returns to the grant and the payable', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 7_000n);
    expect(await grantCounters(book)).toEqual({ debitsPending: 7_000n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    // A void must be for the whole amount.
    expect(await ledger.createTransfers(database.db, [{ ...voidOf(pendingId), amount: 6_000n }])).toEqual(['pending_transfer_has_different_amount']);
    const v = voidOf(pendingId);
    expect(await ledger.createTransfers(database.db, [v])).toEqual(['ok']);
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await payableCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });
    expect((await transferById(database.db, pendingId))?.state).toBe('voided');
    expect(await transferById(database.db, v.id)).toMatchObject({ kind: 'void_pending', pending_id: pendingId, amount: '7000' });
    // Retrying the same void is idempotent.
    expect(await ledger.createTransfers(database.db, [v])).toEqual(['exists']);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a reservation is posted without an amount, then the full amount is posted', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 2_500n);
    const p = post(pendingId);
    expect(await ledger.createTransfers(database.db, [p])).toEqual(['ok']);
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 2_500n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await payableCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 2_500n });
    expect((await transferById(database.db, p.id))?.amount).toBe('2500');
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a reservation is posted twice, then the second post is refused as already posted and nothing moves again', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 5_000n);
    const first = post(pendingId, 4_000n);
    expect(await ledger.createTransfers(database.db, [first])).toEqual(['ok']);
    expect(await ledger.createTransfers(database.db, [post(pendingId, 1_000n)])).toEqual(['pending_transfer_already_posted']);
    expect(await ledger.createTransfers(database.db, [post(pendingId)])).toEqual(['pending_transfer_already_posted']);
    // The same post sent again is idempotent, not a second post.
    expect(await ledger.createTransfers(database.db, [first])).toEqual(['exists']);
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 4_000n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await payableCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 4_000n });
    expect((await transferRows(database.db, [book.grant])).filter((r) => r.pending_id === pendingId)).toHaveLength(1);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a posted reservation is voided, or a voided one posted, then both are refused', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const posted = await reserve(book, 1_000n);
    const voided = await reserve(book, 2_000n);
    await ledger.commit(database.db, [post(posted), voidOf(voided)]);
    expect(await ledger.createTransfers(database.db, [voidOf(posted)])).toEqual(['pending_transfer_already_posted']);
    expect(await ledger.createTransfers(database.db, [post(voided)])).toEqual(['pending_transfer_already_voided']);
    expect(await ledger.createTransfers(database.db, [voidOf(voided)])).toEqual(['pending_transfer_already_voided']);
    const err = await ledger.commit(database.db, [post(voided, 10n)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerRejected);
    expect((err as LedgerRejected).cause0).toBe('pending_transfer_already_voided');
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 1_000n, creditsPending: 0n, creditsPosted: 10_000n });
    expect((await transferById(database.db, posted))?.state).toBe('posted');
    expect((await transferById(database.db, voided))?.state).toBe('voided');
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a post asks for more than was reserved, then it is refused and the reservation stays open', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 3_000n);
    const over = post(pendingId, 3_001n);
    expect(await ledger.createTransfers(database.db, [over])).toEqual(['exceeds_pending_transfer_amount']);
    expect(await countTransfersWithId(database.db, over.id)).toBe(0);
    expect((await transferById(database.db, pendingId))?.state).toBe('pending');
    expect(await grantCounters(book)).toEqual({ debitsPending: 3_000n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    // A refused post leaves the reservation postable; a zero post releases it all.
    expect(await ledger.createTransfers(database.db, [post(pendingId, 0n)])).toEqual(['ok']);
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a post or void refers to something that is not an open reservation, then it is refused with the reason', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const postedId = randomUUID();
    await ledger.commit(database.db, [{ id: postedId, kind: 'posted', debitAccountId: book.grant, creditAccountId: book.payable, amount: 10n, code: 'x' }]);
    const pendingId = await reserve(book, 100n);
    expect(
      await ledger.createTransfers(database.db, [
        post(randomUUID()),
        post(postedId),
        { id: randomUUID(), kind: 'post_pending', code: 'claim' },
        { ...post(pendingId), debitAccountId: book.payable },
        { ...post(pendingId), creditAccountId: book.grant },
        { ...post(pendingId, 10n), timeoutSeconds: 5 },
        { ...post(pendingId), amount: -1n },
      ]),
    ).toEqual([
      'pending_transfer_not_found',
      'pending_transfer_not_pending',
      'pending_id_required',
      'pending_transfer_has_different_debit_account_id',
      'pending_transfer_has_different_credit_account_id',
      'timeout_reserved_for_pending_transfer',
      'amount_must_not_be_negative',
    ]);
    expect((await transferById(database.db, pendingId))?.state).toBe('pending');
    expect(await grantCounters(book)).toEqual({ debitsPending: 100n, debitsPosted: 10n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('pending transfer timeouts', () => {
  it('when the timeout passes, then posting is refused before and after the sweeper, and the sweeper releases the reservation', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 6_000n, 60);
    const row = await database.db.execute<{ timeout_at: Date }>(sql`select timeout_at from ledger_transfers where id = ${pendingId}::uuid`);
    expect(new Date(row.rows[0]!.timeout_at).getTime()).toBe(clock.now().getTime() + 60_000);

    // Nothing is due yet.
    expect(await ledger.expirePending(database.db)).toBe(0);

    clock.advance(60_000); // exactly at the timeout: already expired
    expect(await ledger.createTransfers(database.db, [post(pendingId, 1_000n)])).toEqual(['pending_transfer_expired']);
    expect(await ledger.createTransfers(database.db, [voidOf(pendingId)])).toEqual(['pending_transfer_expired']);
    // Refused, but not yet released: the sweeper has not run.
    expect((await transferById(database.db, pendingId))?.state).toBe('pending');
    expect(await grantCounters(book)).toMatchObject({ debitsPending: 6_000n, debitsPosted: 0n });

    clock.advance(1_000);
    expect(await ledger.expirePending(database.db)).toBe(1);
    expect(await ledger.expirePending(database.db)).toBe(0);
    expect((await transferById(database.db, pendingId))?.state).toBe('expired');
    const expiries = (await transferRows(database.db, [book.grant])).filter((r) => r.kind === 'expire_pending');
    expect(expiries).toEqual([
      expect.objectContaining({ pending_id: pendingId, amount: '6000', debit_account_id: book.grant, credit_account_id: book.payable }),
    ]);
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await payableCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });

    expect(await ledger.createTransfers(database.db, [post(pendingId)])).toEqual(['pending_transfer_expired']);
    expect(await ledger.createTransfers(database.db, [voidOf(pendingId)])).toEqual(['pending_transfer_expired']);
    expect(await grantCounters(book)).toMatchObject({ debitsPending: 0n, debitsPosted: 0n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a post arrives one millisecond before the timeout, then it is accepted and the sweeper leaves it alone', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 4_000n, 30);
    clock.advance(29_999);
    expect(await ledger.createTransfers(database.db, [post(pendingId, 3_000n)])).toEqual(['ok']);
    clock.advance(60_000);
    expect(await ledger.expirePending(database.db)).toBe(0);
    expect((await transferById(database.db, pendingId))?.state).toBe('posted');
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 3_000n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a reservation has no timeout, then the sweeper never expires it', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const pendingId = await reserve(book, 1_000n, null);
    expect((await database.db.execute<{ t: Date | null }>(sql`select timeout_at t from ledger_transfers where id = ${pendingId}::uuid`)).rows[0]!.t).toBeNull();
    clock.advance(365 * DAY * 1000);
    // Everything else in this file with a timeout is now due (the earlier one-day reservations); this one is not touched.
    expect(await ledger.expirePending(database.db)).toBeGreaterThan(0);
    expect((await transferById(database.db, pendingId))?.state).toBe('pending');
    expect(await ledger.createTransfers(database.db, [post(pendingId)])).toEqual(['ok']);
    expect(await grantCounters(book)).toMatchObject({ debitsPending: 0n, debitsPosted: 1_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a timeout is zero or negative, or given on a posted transfer, then the transfer is refused', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    const base = { debitAccountId: book.grant, creditAccountId: book.payable, amount: 1n, code: 'x' };
    expect(
      await ledger.createTransfers(database.db, [
        { id: randomUUID(), kind: 'pending', ...base, timeoutSeconds: 0 },
        { id: randomUUID(), kind: 'pending', ...base, timeoutSeconds: -5 },
        { id: randomUUID(), kind: 'posted', ...base, timeoutSeconds: 5 },
      ]),
    ).toEqual(['timeout_must_be_positive', 'timeout_must_be_positive', 'timeout_reserved_for_pending_transfer']);
    expect(await grantCounters(book)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 10_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('linked chains and batches', () => {
  it('when the third transfer of a linked chain of three fails, then all three fail and nothing moves', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    const b = await fundedBook(ledger, database.db, 1_000n);
    const c = await fundedBook(ledger, database.db, 100n);
    const chain: TransferInput[] = [
      { id: randomUUID(), kind: 'pending', debitAccountId: a.grant, creditAccountId: a.payable, amount: 500n, code: 'reservation', linked: true },
      { id: randomUUID(), kind: 'posted', debitAccountId: b.grant, creditAccountId: a.payable, amount: 500n, code: 'reservation', linked: true },
      { id: randomUUID(), kind: 'pending', debitAccountId: c.grant, creditAccountId: a.payable, amount: 500n, code: 'reservation' },
    ];
    expect(await ledger.createTransfers(database.db, chain)).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    for (const t of chain) expect(await countTransfersWithId(database.db, t.id)).toBe(0);
    expect(await grantCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await grantCounters(b)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await payableCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });
    const err = await ledger.commit(database.db, chain).catch((e: unknown) => e);
    expect((err as LedgerRejected).cause0).toBe('exceeds_credits');
    // The chain can be retried once the cause is fixed: its ids were never used.
    await ledger.commit(database.db, [{ id: randomUUID(), kind: 'posted', debitAccountId: c.treasury, creditAccountId: c.grant, amount: 400n, code: 'grant' }]);
    expect(await ledger.createTransfers(database.db, chain)).toEqual(['ok', 'ok', 'ok']);
    expect(await grantCounters(c)).toMatchObject({ debitsPending: 500n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when the first transfer of a chain fails, then the rest are not applied', async () => {
    const a = await fundedBook(ledger, database.db, 100n);
    const b = await fundedBook(ledger, database.db, 1_000n);
    const chain: TransferInput[] = [
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 500n, code: 'x', linked: true },
      { id: randomUUID(), kind: 'posted', debitAccountId: b.grant, creditAccountId: b.payable, amount: 500n, code: 'x', linked: true },
      { id: randomUUID(), kind: 'posted', debitAccountId: b.grant, creditAccountId: b.payable, amount: 1n, code: 'x' },
    ];
    expect(await ledger.createTransfers(database.db, chain)).toEqual(['exceeds_credits', 'linked_event_failed', 'linked_event_failed']);
    expect(await grantCounters(b)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a batch holds two independent transfers and one fails, then the other still succeeds', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    const b = await fundedBook(ledger, database.db, 100n);
    const good: TransferInput = { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 600n, code: 'x' };
    const bad: TransferInput = { id: randomUUID(), kind: 'posted', debitAccountId: b.grant, creditAccountId: b.payable, amount: 600n, code: 'x' };
    expect(await ledger.createTransfers(database.db, [bad, good])).toEqual(['exceeds_credits', 'ok']);
    expect(await grantCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 600n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await grantCounters(b)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 100n });
    expect(await countTransfersWithId(database.db, good.id)).toBe(1);
    expect(await countTransfersWithId(database.db, bad.id)).toBe(0);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when two chains share a batch and one fails, then only that chain rolls back', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    const batch: TransferInput[] = [
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 300n, code: 'x', linked: true },
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 300n, code: 'x' },
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 300n, code: 'x', linked: true },
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 300n, code: 'x' },
    ];
    // Later transfers see earlier ones in the same batch: the second chain no longer fits.
    expect(await ledger.createTransfers(database.db, batch)).toEqual(['ok', 'ok', 'linked_event_failed', 'exceeds_credits']);
    expect(await grantCounters(a)).toMatchObject({ debitsPosted: 600n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when the last transfer of a batch is linked, then its chain is refused as open and nothing of it moves', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    const batch: TransferInput[] = [
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 100n, code: 'x' },
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 200n, code: 'x', linked: true },
      { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 300n, code: 'x', linked: true },
    ];
    const results = await ledger.createTransfers(database.db, batch);
    expect(results[0]).toBe('ok');
    expect(results[2]).toBe('linked_event_chain_open');
    expect(['linked_event_failed', 'linked_event_chain_open']).toContain(results[1]);
    expect(await grantCounters(a)).toMatchObject({ debitsPosted: 100n });
    expect(await countTransfersWithId(database.db, batch[1]!.id)).toBe(0);
    expect(await countTransfersWithId(database.db, batch[2]!.id)).toBe(0);
    expect(await ledger.createTransfers(database.db, [{ ...batch[0]!, linked: true }])).toEqual(['linked_event_chain_open']);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a chain posts a reservation created earlier in the same chain, then both commit together', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    const pendingId = randomUUID();
    expect(
      await ledger.createTransfers(database.db, [
        { id: pendingId, kind: 'pending', debitAccountId: a.grant, creditAccountId: a.payable, amount: 800n, code: 'reservation', linked: true },
        { ...post(pendingId, 500n), linked: true },
        { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 501n, code: 'x' },
      ]),
    ).toEqual(['linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
    expect(await countTransfersWithId(database.db, pendingId)).toBe(0);
    expect(await grantCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(
      await ledger.createTransfers(database.db, [
        { id: pendingId, kind: 'pending', debitAccountId: a.grant, creditAccountId: a.payable, amount: 800n, code: 'reservation', linked: true },
        post(pendingId, 500n),
      ]),
    ).toEqual(['ok', 'ok']);
    expect(await grantCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 500n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});

describe('validation and the database backstop', () => {
  it('when the accounts have different currencies, or the transfer names another currency, then it is refused', async () => {
    const sgd = await fundedBook(ledger, database.db, 1_000n, 'SGD');
    const eurPayable = await account(ledger, database.db, 'provider_payable', 'none', 'EUR');
    const cross: TransferInput = { id: randomUUID(), kind: 'pending', debitAccountId: sgd.grant, creditAccountId: eurPayable, amount: 100n, code: 'reservation' };
    const named: TransferInput = { id: randomUUID(), kind: 'posted', debitAccountId: sgd.grant, creditAccountId: sgd.payable, amount: 100n, currency: 'EUR', code: 'x' };
    const same: TransferInput = { id: randomUUID(), kind: 'posted', debitAccountId: sgd.grant, creditAccountId: sgd.payable, amount: 100n, currency: 'SGD', code: 'x' };
    expect(await ledger.createTransfers(database.db, [cross, named, same])).toEqual([
      'accounts_must_have_the_same_currency',
      'transfer_currency_differs_from_accounts',
      'ok',
    ]);
    expect(await grantCounters(sgd)).toEqual({ debitsPending: 0n, debitsPosted: 100n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(counters(await ledger.balance(database.db, eurPayable))).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });
    expect(await countTransfersWithId(database.db, cross.id)).toBe(0);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a transfer is malformed, then it is refused with its reason and nothing moves', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    const base = { kind: 'posted' as const, debitAccountId: a.grant, creditAccountId: a.payable, amount: 10n, code: 'x' };
    expect(
      await ledger.createTransfers(database.db, [
        { id: randomUUID(), ...base, amount: 0n },
        { id: randomUUID(), ...base, amount: -10n },
        { id: randomUUID(), ...base, creditAccountId: a.grant },
        { id: randomUUID(), ...base, debitAccountId: randomUUID() },
        { id: randomUUID(), ...base, creditAccountId: randomUUID() },
        { id: randomUUID(), ...base, pendingId: randomUUID() },
        { id: randomUUID(), ...base, kind: 'expire_pending' as never },
      ]),
    ).toEqual([
      'amount_must_be_positive',
      'amount_must_be_positive',
      'accounts_must_be_different',
      'debit_account_not_found',
      'credit_account_not_found',
      'pending_id_must_be_null',
      'invalid_kind',
    ]);
    expect(await grantCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when an account with credits_must_not_exceed_debits would be over-credited, then the transfer is refused with exceeds_debits', async () => {
    const treasury = await account(ledger, database.db, 'treasury', 'none');
    const clearing = await account(ledger, database.db, 'bank_clearing', 'credits_must_not_exceed_debits');
    const t = (amount: bigint, debit: string, credit: string): TransferInput => ({ id: randomUUID(), kind: 'posted', debitAccountId: debit, creditAccountId: credit, amount, code: 'x' });
    expect(await ledger.createTransfers(database.db, [t(1n, treasury, clearing)])).toEqual(['exceeds_debits']);
    expect(await ledger.createTransfers(database.db, [t(500n, clearing, treasury), t(500n, treasury, clearing), t(1n, treasury, clearing)])).toEqual([
      'ok',
      'ok',
      'exceeds_debits',
    ]);
    expect(counters(await ledger.balance(database.db, clearing))).toEqual({ debitsPending: 0n, debitsPosted: 500n, creditsPending: 0n, creditsPosted: 500n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a direct UPDATE would overdraw a limited account, then the database CHECK constraint rejects it (23514)', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    await expect(
      database.pool.query('update ledger_accounts set debits_posted = debits_posted + 1001 where id = $1', [a.grant]),
    ).rejects.toMatchObject({ code: '23514', constraint: 'ledger_accounts_debits_within_credits' });
    await expect(
      database.pool.query('update ledger_accounts set debits_pending = debits_pending + 600, debits_posted = debits_posted + 401 where id = $1', [a.grant]),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(database.pool.query('update ledger_accounts set credits_pending = -1 where id = $1', [a.payable])).rejects.toMatchObject({
      code: '23514',
      constraint: 'ledger_accounts_counters_nonnegative',
    });
    // Exactly up to the limit is allowed: the constraint is not off by one.
    await database.pool.query('update ledger_accounts set debits_posted = debits_posted + 1000 where id = $1', [a.grant]);
    await database.pool.query('update ledger_accounts set debits_posted = debits_posted - 1000 where id = $1', [a.grant]);
    expect(await grantCounters(a)).toEqual({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a limited account is drawn to exactly zero, then the next unit is refused', async () => {
    const a = await fundedBook(ledger, database.db, 1_000n);
    expect(
      await ledger.createTransfers(database.db, [
        { id: randomUUID(), kind: 'pending', debitAccountId: a.grant, creditAccountId: a.payable, amount: 600n, code: 'x' },
        { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 400n, code: 'x' },
        { id: randomUUID(), kind: 'posted', debitAccountId: a.grant, creditAccountId: a.payable, amount: 1n, code: 'x' },
        { id: randomUUID(), kind: 'pending', debitAccountId: a.grant, creditAccountId: a.payable, amount: 1n, code: 'x' },
      ]),
    ).toEqual(['ok', 'ok', 'exceeds_credits', 'exceeds_credits']);
    expect(await grantCounters(a)).toEqual({ debitsPending: 600n, debitsPosted: 400n, creditsPending: 0n, creditsPosted: 1_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});
