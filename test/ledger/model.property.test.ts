/**
 * Model-based test of the ledger: random command sequences run against the
 * real PostgreSQL ledger and against a small in-memory model written from the
 * TigerBeetle rules (limits count pending amounts, pending transfers resolve
 * once, linked chains are all-or-nothing, ids are idempotent). After every
 * step the four counters of every account, the transfer rows and the global
 * invariants must agree.
 *
 * Reproduce a failure with FC_SEED=<seed> FC_PATH=<path> (printed by fast-check);
 * FC_RUNS changes the number of runs, FC_TIME_LIMIT (seconds) the time budget.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import fc, { type Arbitrary, type AsyncCommand } from 'fast-check';
import { Ledger } from '../../src/ledger/ledger.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import type { TransferInput, TransferResult } from '../../src/ledger/types.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Currency } from '../../src/lib/money.js';
import { useTestDatabase } from '../support/db.js';
import { counters, deltaRows, transferRows, type Counters } from './fixtures.js';
import { modelRunOptions } from '../support/model-runs.js';

const database = useTestDatabase();

// ---------------------------------------------------------------- the model

type Limit = 'debits_must_not_exceed_credits' | 'credits_must_not_exceed_debits' | 'none';
type State = 'pending' | 'posted' | 'voided' | 'expired' | null;

interface MAccount extends Counters {
  id: string;
  currency: Currency;
  limit: Limit;
}

interface MTransfer {
  id: string;
  kind: TransferInput['kind'];
  debit: string;
  credit: string;
  amount: bigint;
  pendingId: string | null;
  code: string;
  state: State;
  timeoutAt: number | null;
}

interface Books {
  accounts: MAccount[];
  transfers: Map<string, MTransfer>;
  /** Pending transfers released by the sweeper (each leaves an expire_pending row). */
  expired: string[];
}

interface Model {
  books: Books;
  now: number;
  /** Every transfer ever sent (accepted or not), without its linked flag: retries pick from here. */
  sent: TransferInput[];
  /** Ids of every pending transfer ever sent, and their amounts: posts and voids pick from here. */
  pendingSent: { id: string; amount: bigint }[];
}

interface Real {
  ledger: Ledger;
  clock: ManualClock;
}

const CURRENCIES: Currency[] = ['SGD', 'EUR'];
const LAYOUT: { kind: 'treasury' | 'scheme_budget' | 'learner_grant' | 'provider_payable' | 'bank_clearing'; limit: Limit; funding: bigint }[] = [
  { kind: 'treasury', limit: 'none', funding: 0n },
  { kind: 'scheme_budget', limit: 'debits_must_not_exceed_credits', funding: 2_000n },
  { kind: 'learner_grant', limit: 'debits_must_not_exceed_credits', funding: 1_000n },
  { kind: 'learner_grant', limit: 'debits_must_not_exceed_credits', funding: 500n },
  { kind: 'provider_payable', limit: 'none', funding: 0n },
  { kind: 'bank_clearing', limit: 'credits_must_not_exceed_debits', funding: 0n },
];
const PER_CURRENCY = LAYOUT.length;

const account = (b: Books, id: string) => b.accounts.find((a) => a.id === id);

/** ledger_apply: unlimited accounts always take the change; limited ones only within their limit. */
function apply(a: MAccount, dp: bigint, dpo: bigint, cp: bigint, cpo: bigint): boolean {
  const n = { debitsPending: a.debitsPending + dp, debitsPosted: a.debitsPosted + dpo, creditsPending: a.creditsPending + cp, creditsPosted: a.creditsPosted + cpo };
  if (a.limit === 'debits_must_not_exceed_credits' && n.debitsPending + n.debitsPosted > n.creditsPosted) return false;
  if (a.limit === 'credits_must_not_exceed_debits' && n.creditsPending + n.creditsPosted > n.debitsPosted) return false;
  Object.assign(a, n);
  return true;
}

function sameTransfer(e: MTransfer, t: TransferInput): TransferResult {
  if (e.kind !== t.kind) return 'exists_with_different_kind';
  if (t.debitAccountId !== undefined && t.debitAccountId !== e.debit) return 'exists_with_different_debit_account_id';
  if (t.creditAccountId !== undefined && t.creditAccountId !== e.credit) return 'exists_with_different_credit_account_id';
  if (t.amount !== undefined && t.amount !== e.amount) return 'exists_with_different_amount';
  if ((t.pendingId ?? null) !== e.pendingId) return 'exists_with_different_pending_id';
  if (t.code !== e.code) return 'exists_with_different_code';
  return 'exists';
}

function createOne(b: Books, now: number, t: TransferInput): TransferResult {
  const existing = b.transfers.get(t.id);
  if (existing) return sameTransfer(existing, t);
  if (t.kind === 'post_pending' || t.kind === 'void_pending') {
    const p = t.pendingId === undefined ? undefined : b.transfers.get(t.pendingId);
    if (!p) return 'pending_transfer_not_found';
    if (p.kind !== 'pending') return 'pending_transfer_not_pending';
    const amount = t.amount ?? p.amount;
    if (amount > p.amount) return 'exceeds_pending_transfer_amount';
    if (t.kind === 'void_pending' && amount !== p.amount) return 'pending_transfer_has_different_amount';
    if (amount < 0n) return 'amount_must_not_be_negative';
    if (!(p.state === 'pending' && (p.timeoutAt === null || p.timeoutAt > now))) {
      return p.state === 'posted' ? 'pending_transfer_already_posted' : p.state === 'voided' ? 'pending_transfer_already_voided' : 'pending_transfer_expired';
    }
    const d = account(b, p.debit)!;
    const c = account(b, p.credit)!;
    const post = t.kind === 'post_pending' ? amount : 0n;
    if (!apply(d, -p.amount, post, 0n, 0n)) return 'exceeds_credits';
    if (!apply(c, 0n, 0n, -p.amount, post)) return 'exceeds_debits';
    p.state = t.kind === 'post_pending' ? 'posted' : 'voided';
    b.transfers.set(t.id, { id: t.id, kind: t.kind, debit: p.debit, credit: p.credit, amount, pendingId: p.id, code: t.code, state: null, timeoutAt: null });
    return 'ok';
  }
  const amount = t.amount!;
  if (amount <= 0n) return 'amount_must_be_positive';
  if (t.debitAccountId === t.creditAccountId) return 'accounts_must_be_different';
  const d = account(b, t.debitAccountId!);
  const c = account(b, t.creditAccountId!);
  if (!d) return 'debit_account_not_found';
  if (!c) return 'credit_account_not_found';
  if (d.currency !== c.currency) return 'accounts_must_have_the_same_currency';
  const pending = t.kind === 'pending';
  if (!apply(d, pending ? amount : 0n, pending ? 0n : amount, 0n, 0n)) return 'exceeds_credits';
  if (!apply(c, 0n, 0n, pending ? amount : 0n, pending ? 0n : amount)) return 'exceeds_debits';
  b.transfers.set(t.id, {
    id: t.id,
    kind: t.kind,
    debit: d.id,
    credit: c.id,
    amount,
    pendingId: null,
    code: t.code,
    state: pending ? 'pending' : null,
    timeoutAt: pending && t.timeoutSeconds !== undefined ? now + t.timeoutSeconds * 1000 : null,
  });
  return 'ok';
}

const clone = (b: Books): Books => ({
  accounts: b.accounts.map((a) => ({ ...a })),
  transfers: new Map([...b.transfers].map(([k, v]) => [k, { ...v }])),
  expired: [...b.expired],
});

/** ledger_create_transfers: chains split on the linked flag, each all-or-nothing. */
function createTransfers(m: Model, batch: TransferInput[]): TransferResult[] {
  const results: TransferResult[] = [];
  let i = 0;
  while (i < batch.length) {
    let end = i;
    while (end < batch.length - 1 && batch[end]!.linked) end++;
    if (batch[end]!.linked) {
      for (let j = i; j <= end; j++) results[j] = 'linked_event_chain_open';
    } else {
      const before = clone(m.books);
      for (let j = i; j <= end; j++) {
        const r = createOne(m.books, m.now, batch[j]!);
        results[j] = r;
        if (r !== 'ok' && r !== 'exists') {
          m.books = before;
          for (let k = i; k <= end; k++) if (k !== j) results[k] = 'linked_event_failed';
          break;
        }
      }
    }
    i = end + 1;
  }
  for (const t of batch) {
    const { linked: _linked, ...plain } = t;
    m.sent.push(plain);
    if (t.kind === 'pending' && t.amount !== undefined) m.pendingSent.push({ id: t.id, amount: t.amount });
  }
  return results;
}

function expire(m: Model): number {
  let n = 0;
  for (const t of [...m.books.transfers.values()].sort((a, b) => (a.timeoutAt ?? 0) - (b.timeoutAt ?? 0))) {
    if (t.kind !== 'pending' || t.state !== 'pending' || t.timeoutAt === null || t.timeoutAt > m.now) continue;
    t.state = 'expired';
    apply(account(m.books, t.debit)!, -t.amount, 0n, 0n, 0n);
    apply(account(m.books, t.credit)!, 0n, 0n, -t.amount, 0n);
    m.books.expired.push(t.id);
    n++;
  }
  return n;
}

/** Commands actually run (so the test proves it did some work). */
let executed = 0;
/** How often each result was seen, to show the generator reaches the interesting cases. */
const seen = new Map<string, number>();

// ------------------------------------------------------------- comparison

async function assertAgrees(m: Model, step: string): Promise<void> {
  executed++;
  const db = database.db;
  const ids = m.books.accounts.map((a) => a.id);
  const real = await new Ledger({ clock: new ManualClock() }).balances(db, ids);
  for (const a of m.books.accounts) {
    const { id: _id, currency: _c, limit: _l, ...expected } = a;
    expect(counters(real.get(a.id)), `${step}: counters of ${a.currency} ${a.limit} account ${a.id}`).toEqual(expected);
  }

  // Per currency, over this run's accounts only: debits equal credits, posted and pending apart.
  for (const currency of CURRENCIES) {
    const mine = m.books.accounts.filter((a) => a.currency === currency).map((a) => counters(real.get(a.id)));
    const sum = (f: (c: Counters) => bigint) => mine.reduce((s, c) => s + f(c), 0n);
    expect(sum((c) => c.debitsPosted), `${step}: ${currency} posted`).toBe(sum((c) => c.creditsPosted));
    expect(sum((c) => c.debitsPending), `${step}: ${currency} pending`).toBe(sum((c) => c.creditsPending));
  }
  // No limited account beyond its limit, no negative counter.
  for (const a of m.books.accounts) {
    const c = counters(real.get(a.id));
    for (const v of Object.values(c)) expect(v).toBeGreaterThanOrEqual(0n);
    if (a.limit === 'debits_must_not_exceed_credits') expect(c.debitsPending + c.debitsPosted).toBeLessThanOrEqual(c.creditsPosted);
    if (a.limit === 'credits_must_not_exceed_debits') expect(c.creditsPending + c.creditsPosted).toBeLessThanOrEqual(c.debitsPosted);
  }

  // The transfer rows are exactly the model's transfers, plus one expire_pending row per expiry.
  const rows = await transferRows(db, ids);
  const ordinary = rows.filter((r) => r.kind !== 'expire_pending');
  expect(ordinary.length, `${step}: transfer rows`).toBe(m.books.transfers.size);
  for (const r of ordinary) {
    const t = m.books.transfers.get(r.id);
    expect(t, `${step}: unexpected transfer row ${r.id} (${r.kind})`).toBeDefined();
    expect({ kind: r.kind, amount: BigInt(r.amount), state: r.state, pendingId: r.pending_id, debit: r.debit_account_id, credit: r.credit_account_id }).toEqual({
      kind: t!.kind,
      amount: t!.amount,
      state: t!.state,
      pendingId: t!.pendingId,
      debit: t!.debit,
      credit: t!.credit,
    });
  }
  const expiries = rows.filter((r) => r.kind === 'expire_pending').map((r) => r.pending_id);
  expect(expiries.sort(), `${step}: expire_pending rows`).toEqual([...m.books.expired].sort());

  // Open pending transfers per account add up to its pending counters (from the real rows).
  for (const a of m.books.accounts) {
    const open = ordinary.filter((r) => r.kind === 'pending' && r.state === 'pending');
    const dp = open.filter((r) => r.debit_account_id === a.id).reduce((s, r) => s + BigInt(r.amount), 0n);
    const cp = open.filter((r) => r.credit_account_id === a.id).reduce((s, r) => s + BigInt(r.amount), 0n);
    const c = counters(real.get(a.id));
    expect([c.debitsPending, c.creditsPending], `${step}: pending of ${a.id}`).toEqual([dp, cp]);
  }

  expect(await ledgerViolations(db), step).toEqual([]);
}

// --------------------------------------------------------------- commands

type Spec =
  | { t: 'posted' | 'pending'; cur: number; d: number; c: number; crossCurrency: boolean; amount: bigint; timeout: number | null }
  | { t: 'post'; ref: number; open: boolean; mode: 'full' | 'partial' | 'over'; percent: number }
  | { t: 'void'; ref: number; open: boolean }
  | { t: 'retry'; ref: number; changeAmount: boolean };

/**
 * A pending transfer to post or void: with `open`, one the model says is still
 * open (if any); otherwise any pending id ever sent, including refused ones.
 */
function pickPending(m: Model, ref: number, open: boolean): { id: string; amount: bigint } | undefined {
  const live = [...m.books.transfers.values()].filter((t) => t.kind === 'pending' && t.state === 'pending');
  const pool = open && live.length > 0 ? live : m.pendingSent;
  return pool[ref % Math.max(1, pool.length)];
}

/** A post or void before any reservation was sent becomes a reservation (grant to payable) instead. */
function firstReservation(m: Model, n: number): TransferInput {
  return {
    id: randomUUID(),
    kind: 'pending',
    debitAccountId: m.books.accounts[2]!.id,
    creditAccountId: m.books.accounts[4]!.id,
    amount: BigInt(10 * n + 1),
    timeoutSeconds: 1 + (n % 60),
    code: 'reservation',
  };
}

function resolve(m: Model, s: Spec): TransferInput {
  switch (s.t) {
    case 'posted':
    case 'pending': {
      const debit = m.books.accounts[s.cur * PER_CURRENCY + s.d]!;
      const creditCur = s.crossCurrency ? 1 - s.cur : s.cur;
      const credit = m.books.accounts[creditCur * PER_CURRENCY + s.c]!;
      const t: TransferInput = { id: randomUUID(), kind: s.t, debitAccountId: debit.id, creditAccountId: credit.id, amount: s.amount, code: s.t === 'pending' ? 'reservation' : 'payment' };
      if (s.t === 'pending' && s.timeout !== null) t.timeoutSeconds = s.timeout;
      return t;
    }
    case 'post': {
      const p = pickPending(m, s.ref, s.open);
      if (!p) return firstReservation(m, s.percent);
      const t: TransferInput = { id: randomUUID(), kind: 'post_pending', pendingId: p.id, code: 'claim' };
      if (s.mode === 'partial') t.amount = (p.amount * BigInt(s.percent)) / 100n;
      if (s.mode === 'over') t.amount = p.amount + 1n;
      return t;
    }
    case 'void': {
      const p = pickPending(m, s.ref, s.open);
      if (!p) return firstReservation(m, s.ref % 100);
      return { id: randomUUID(), kind: 'void_pending', pendingId: p.id, code: 'cancel' };
    }
    case 'retry': {
      const prev = m.sent[s.ref % Math.max(1, m.sent.length)];
      if (!prev) return { id: randomUUID(), kind: 'void_pending', pendingId: randomUUID(), code: 'cancel' };
      return s.changeAmount ? { ...prev, amount: (prev.amount ?? 0n) + 1n } : { ...prev };
    }
  }
}

const describeSpec = (s: Spec): string => JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

class BatchCommand implements AsyncCommand<Model, Real> {
  constructor(readonly specs: { spec: Spec; linked: boolean }[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const batch = this.specs.map(({ spec, linked }) => ({ ...resolve(m, spec), linked }));
    const actual = await r.ledger.createTransfers(database.db, batch);
    const expected = createTransfers(m, batch);
    expect(actual, `batch ${this.toString()}`).toEqual(expected);
    for (const r of actual) seen.set(r, (seen.get(r) ?? 0) + 1);
    await assertAgrees(m, this.toString());
  }
  toString = () => `Batch(${this.specs.map((s) => `${describeSpec(s.spec)}${s.linked ? ' linked' : ''}`).join(', ')})`;
}

class AdvanceCommand implements AsyncCommand<Model, Real> {
  constructor(readonly seconds: number, readonly sweep: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.clock.advance(this.seconds * 1000);
    m.now += this.seconds * 1000;
    if (this.sweep) {
      const n = await r.ledger.expirePending(database.db);
      expect(n, this.toString()).toBe(expire(m));
      seen.set('(expired by sweeper)', (seen.get('(expired by sweeper)') ?? 0) + n);
    }
    await assertAgrees(m, this.toString());
  }
  toString = () => `Advance(${this.seconds}s${this.sweep ? ', sweep' : ''})`;
}

class FoldCommand implements AsyncCommand<Model, Real> {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.ledger.foldDeltas(database.db);
    expect(await deltaRows(database.db, m.books.accounts.map((a) => a.id))).toBe(0);
    await assertAgrees(m, this.toString());
  }
  toString = () => 'Fold';
}

const amountArb = fc.bigInt({ min: 1n, max: 700n });
const transferSpec = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constantFrom('posted' as const, 'pending' as const, 'pending' as const),
      cur: fc.nat(1),
      d: fc.nat(PER_CURRENCY - 1),
      c: fc.nat(PER_CURRENCY - 1),
      crossCurrency: fc.nat(11).map((n) => n === 0),
      amount: amountArb,
      timeout: fc.option(fc.integer({ min: 1, max: 90 }), { nil: null, freq: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('post' as const),
      ref: fc.nat(),
      open: fc.nat(3).map((n) => n !== 0),
      mode: fc.constantFrom('full' as const, 'partial' as const, 'partial' as const, 'over' as const),
      percent: fc.integer({ min: 0, max: 100 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('void' as const), ref: fc.nat(), open: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('retry' as const), ref: fc.nat(), changeAmount: fc.boolean() }) },
) as Arbitrary<Spec>;

const batchArb = fc
  .array(fc.record({ spec: transferSpec, linked: fc.nat(3).map((n) => n === 0) }), { minLength: 1, maxLength: 3 })
  .chain((specs) =>
    // An open chain at the end of the batch only now and then.
    fc.nat(9).map((n) => specs.map((s, i) => (i === specs.length - 1 ? { ...s, linked: n === 0 } : s))),
  )
  .map((specs) => new BatchCommand(specs));
const advanceArb = fc.record({ seconds: fc.integer({ min: 0, max: 90 }), sweep: fc.boolean() }).map(({ seconds, sweep }) => new AdvanceCommand(seconds, sweep));
const foldArb = fc.constant(null).map(() => new FoldCommand());

// ------------------------------------------------------------------ setup

const START = Date.parse('2030-01-01T00:00:00Z');
/** A sweeper far in the future: clears pending transfers left by earlier runs so sweeper counts are exact. */
const flusher = new Ledger({ clock: new ManualClock(new Date('2200-01-01T00:00:00Z')) });

async function setup(): Promise<{ model: Model; real: Real }> {
  await flusher.expirePending(database.db, 100_000);
  const clock = new ManualClock(new Date(START));
  const real: Real = { ledger: new Ledger({ clock }), clock };
  const accounts: MAccount[] = CURRENCIES.flatMap((currency) =>
    LAYOUT.map((l) => ({ id: randomUUID(), currency, limit: l.limit, debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n })),
  );
  await real.ledger.createAccounts(
    database.db,
    accounts.map((a, i) => ({ id: a.id, currency: a.currency, kind: LAYOUT[i % PER_CURRENCY]!.kind, limit: a.limit })),
  );
  const model: Model = { books: { accounts, transfers: new Map(), expired: [] }, now: START, sent: [], pendingSent: [] };
  const funding: TransferInput[] = accounts.flatMap((a, i) => {
    const amount = LAYOUT[i % PER_CURRENCY]!.funding;
    const treasury = accounts[Math.floor(i / PER_CURRENCY) * PER_CURRENCY]!;
    return amount > 0n ? [{ id: randomUUID(), kind: 'posted' as const, debitAccountId: treasury.id, creditAccountId: a.id, amount, code: 'grant' }] : [];
  });
  expect(await real.ledger.createTransfers(database.db, funding)).toEqual(createTransfers(model, funding));
  model.sent = [];
  return { model, real };
}

/** FC_TIME_LIMIT (seconds) for long bug hunts, e.g. FC_RUNS=500 FC_TIME_LIMIT=900. */
const { numRuns, seed, timeLimitMs, parameters } = modelRunOptions({ runs: 50, timeLimitSeconds: 100 });

describe('ledger against an in-memory model', () => {
  it('when random sequences of transfers, posts, voids, retries, linked batches, expiries and folds run, then the ledger matches the model after every step', async () => {
    let runs = 0;
    executed = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands([batchArb, batchArb, batchArb, batchArb, batchArb, advanceArb, advanceArb, foldArb], { maxCommands: 25, size: 'max' }), async (cmds) => {
        await fc.asyncModelRun(setup, cmds);
        runs += 1;
      }),
      parameters,
    );
    expect(runs).toBeGreaterThanOrEqual(numRuns);
    expect(executed).toBeGreaterThan(numRuns * 5);
    console.info(`model test: ${runs} runs, ${executed} commands`, Object.fromEntries([...seen].sort((a, b) => b[1] - a[1])));
    if (seed === undefined && numRuns >= 30) {
      for (const r of [
        'ok',
        'exists',
        'exists_with_different_amount',
        'exceeds_credits',
        'exceeds_debits',
        'exceeds_pending_transfer_amount',
        'pending_transfer_already_posted',
        'pending_transfer_already_voided',
        'pending_transfer_expired',
        'linked_event_failed',
        'linked_event_chain_open',
        'accounts_must_have_the_same_currency',
        '(expired by sweeper)',
      ]) {
        expect(seen.get(r) ?? 0, `the generator never produced ${r}`).toBeGreaterThan(0);
      }
    }
  }, timeLimitMs + 60_000);
});
