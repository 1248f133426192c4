import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { MAX_COUNTER, type AccountLimit, type TransferInput } from '../../src/ledger/types.js';
import { runMaintenance } from '../../src/maintenance.js';
import { expectProblem } from '../http/expect-problem.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';

/**
 * Issue 12, item 3: balances past the int8 range. A transfer that would take
 * a counter past 2^63 - 1 is refused with an overflows_* result, and the fold
 * sets aside a delta that cannot fit instead of failing for every account.
 */
const h = useHarness();

const E17 = 10n ** 17n;

async function treasuryOf(currency: string): Promise<string> {
  const r = await h.database.pool.query(`select account_id from system_accounts where purpose = 'treasury' and currency = $1`, [currency]);
  return r.rows[0].account_id as string;
}

async function account(limit: AccountLimit, currency = 'EUR'): Promise<string> {
  const id = randomUUID();
  await h.ledger.createAccounts(h.database.db, [{ id, currency: currency as 'EUR', kind: limit === 'none' ? 'provider_payable' : 'scheme_budget', limit }]);
  return id;
}

const posted = (debitAccountId: string, creditAccountId: string, amount: bigint): TransferInput => ({
  id: randomUUID(), kind: 'posted', debitAccountId, creditAccountId, amount, code: 'test',
});
const pending = (debitAccountId: string, creditAccountId: string, amount: bigint, timeoutSeconds?: number): TransferInput => ({
  id: randomUUID(), kind: 'pending', debitAccountId, creditAccountId, amount, code: 'test', ...(timeoutSeconds ? { timeoutSeconds } : {}),
});

async function deltaRows(): Promise<number> {
  return Number((await h.database.pool.query(`select count(*)::int n from ledger_account_deltas`)).rows[0].n);
}

describe('POST /v1/schemes/{schemeId}/allocations', () => {
  it('when 184 allocations of 10^17 EUR would take the treasury past 2^63-1, then the first that would overflow gets 422 overflows_debits_posted, writes nothing, and upkeep and smaller allocations keep working', async () => {
    const api = await adminApi(h);
    // Two schemes, so that each budget stays within range and only the treasury (no limit, changed by deltas) overflows.
    const a = await api.scheme({ currency: 'EUR', country: 'FR', name: 'Overflow A' }, { eligibleCitizenships: ['FR'] });
    const b = await api.scheme({ currency: 'EUR', country: 'FR', name: 'Overflow B' }, { eligibleCitizenships: ['FR'] });
    const statuses: number[] = [];
    let firstRefusal: request.Response | undefined;
    for (let i = 0; i < 184; i++) {
      const res = await api.post(`/v1/schemes/${i % 2 ? b.id : a.id}/allocations`, { amount: E17.toString() });
      statuses.push(res.status);
      if (res.status !== 201 && !firstRefusal) firstRefusal = res;
    }
    // 92 x 10^17 = 9.2e18 fits; the 93rd would make 9.3e18 > 9223372036854775807.
    expect(statuses.slice(0, 92).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(92).every((s) => s === 422), JSON.stringify(statuses.slice(92))).toBe(true);
    const body = expectProblem(firstRefusal!, 422, 'rule_violation');
    expect(body.reasons).toEqual(['overflows_debits_posted']);
    expect(body.detail).toMatch(/overflows_debits_posted/);

    const treasury = await treasuryOf('EUR');
    expect((await h.ledger.balance(h.database.db, treasury))!.debitsPosted).toBe(92n * E17);
    const transfers = await h.database.pool.query(`select count(*)::int n from ledger_transfers where debit_account_id = $1`, [treasury]);
    expect(transfers.rows[0].n).toBe(92);
    const audits = await h.database.pool.query(`select count(*)::int n from audit_events where action = 'scheme.budget_allocated' and entity_id in ($1, $2)`, [a.id, b.id]);
    expect(audits.rows[0].n).toBe(92);

    // Upkeep runs clean: nothing to set aside, every task succeeds, the books balance.
    const m = await runMaintenance(h.deps);
    expect(m.failures).toEqual([]);
    expect(m.quarantined).toBe(0);
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    // Exactly what is left fits; one more minor unit does not.
    const room = MAX_COUNTER - 92n * E17;
    expect((await api.post(`/v1/schemes/${b.id}/allocations`, { amount: room.toString() })).status).toBe(201);
    const over = await api.post(`/v1/schemes/${a.id}/allocations`, { amount: '1' });
    expect(expectProblem(over, 422, 'rule_violation').reasons).toEqual(['overflows_debits_posted']);
    expect((await h.ledger.balance(h.database.db, treasury))!.debitsPosted).toBe(MAX_COUNTER);

    // Another currency's treasury is untouched by all this.
    const sgd = await api.scheme();
    expect((await api.post(`/v1/schemes/${sgd.id}/allocations`, { amount: '100000' })).status).toBe(201);
    const after = await runMaintenance(h.deps);
    expect(after.failures).toEqual([]);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  }, 120_000);
});

describe('ledger_create_transfers past the int8 range', () => {
  it('when a limited account would be credited past 2^63-1, then overflows_credits_posted and neither side changes', async () => {
    const [u1, u2, budget] = [await account('none'), await account('none'), await account('debits_must_not_exceed_credits')];
    expect(await h.ledger.createTransfers(h.database.db, [posted(u1, budget, MAX_COUNTER)])).toEqual(['ok']);
    expect(await h.ledger.createTransfers(h.database.db, [posted(u2, budget, 1n)])).toEqual(['overflows_credits_posted']);
    expect((await h.ledger.balance(h.database.db, budget))!.creditsPosted).toBe(MAX_COUNTER);
    expect((await h.ledger.balance(h.database.db, u2))!.debitsPosted).toBe(0n);
  });

  it('when an unlimited account would be debited past the range by small transfers near the limit, then each is checked exactly, not appended unchecked', async () => {
    const [u, x, y] = [await account('none'), await account('none'), await account('none')];
    expect(await h.ledger.createTransfers(h.database.db, [posted(u, x, MAX_COUNTER - 5n)])).toEqual(['ok']);
    expect(await h.ledger.createTransfers(h.database.db, [posted(u, y, 5n)])).toEqual(['ok']);
    expect(await h.ledger.createTransfers(h.database.db, [posted(u, y, 1n)])).toEqual(['overflows_debits_posted']);
    expect((await h.ledger.balance(h.database.db, u))!.debitsPosted).toBe(MAX_COUNTER);
  });

  it('when pending and posted debits together would pass the range, then overflows_debits; pending credits alone, overflows_credits_pending', async () => {
    const [u, x, p, q] = [await account('none'), await account('none'), await account('none'), await account('none')];
    expect(await h.ledger.createTransfers(h.database.db, [posted(u, x, MAX_COUNTER - 10n)])).toEqual(['ok']);
    expect(await h.ledger.createTransfers(h.database.db, [pending(u, x, 20n)])).toEqual(['overflows_debits']);
    expect(await h.ledger.createTransfers(h.database.db, [pending(q, p, MAX_COUNTER)])).toEqual(['ok']);
    const other = await account('none');
    expect(await h.ledger.createTransfers(h.database.db, [pending(other, p, 1n)])).toEqual(['overflows_credits_pending']);
  });

  it('when an overflowing transfer is linked with another, then the chain fails together', async () => {
    const [u1, u2, budget, x] = [await account('none'), await account('none'), await account('debits_must_not_exceed_credits'), await account('none')];
    await h.ledger.commit(h.database.db, [posted(u1, budget, MAX_COUNTER)]);
    const results = await h.ledger.createTransfers(h.database.db, [{ ...posted(u2, x, 7n), linked: true }, posted(u2, budget, 1n)]);
    expect(results).toEqual(['linked_event_failed', 'overflows_credits_posted']);
    expect((await h.ledger.balance(h.database.db, x))!.creditsPosted).toBe(0n);
  });

  it('when a pending timeout would end after the last timestamp PostgreSQL holds, then overflows_timeout', async () => {
    const [u, x] = [await account('none'), await account('none')];
    expect(await h.ledger.createTransfers(h.database.db, [pending(u, x, 1n, 9_300_000_000_000)])).toEqual(['overflows_timeout']);
    expect(await h.ledger.createTransfers(h.database.db, [pending(u, x, 1n, 86_400 * 365 * 1000)])).toEqual(['ok']);
    // One second before the last instant PostgreSQL holds still fits; at that instant it does not.
    const last = Number((await h.database.pool.query(`select floor(extract(epoch from '294276-12-31 23:59:59.999999+00'::timestamptz))::bigint s`)).rows[0].s);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    expect(await h.ledger.createTransfers(h.database.db, [pending(u, x, 1n, last - now - 1)])).toEqual(['ok']);
    expect(await h.ledger.createTransfers(h.database.db, [pending(u, x, 1n, last - now + 1)])).toEqual(['overflows_timeout']);
  });

  it('when ordinary transfers run, then an unlimited account is still only ever appended to, never changed in place', async () => {
    const [u, payable] = [await account('none'), await account('none')];
    const before = await deltaRows();
    await h.ledger.commit(h.database.db, [posted(u, payable, 1_000_000n), pending(u, payable, 2_000n)]);
    expect(await deltaRows()).toBe(before + 4);
    const row = await h.database.pool.query(`select credits_posted::text, credits_pending::text from ledger_accounts where id = $1`, [payable]);
    expect(row.rows[0]).toEqual({ credits_posted: '0', credits_pending: '0' });
  });
});

describe('ledger_fold_deltas', () => {
  it('when one delta would overflow its account, then the fold sets it aside with its reason, folds every other delta, and does not retry it at every run', async () => {
    const [u, payable, other] = [await account('none'), await account('none'), await account('none')];
    await h.ledger.commit(h.database.db, [posted(u, payable, 500n), posted(u, other, 700n), pending(other, payable, 30n)]);
    await h.ledger.foldDeltas(h.database.db);
    // A delta no transfer could have made: the payable's credits past the range. Then more ordinary work behind it.
    await h.database.pool.query(`insert into ledger_account_deltas (account_id, credits_posted) values ($1, $2)`, [payable, MAX_COUNTER.toString()]);
    await h.ledger.commit(h.database.db, [posted(u, payable, 11n), posted(u, other, 13n)]);

    const first = await h.ledger.fold(h.database.db);
    expect(first).toEqual({ folded: 4, quarantined: 1 });
    expect(await deltaRows()).toBe(0);
    const rows = await h.database.pool.query(
      `select id, debits_posted::text dpo, credits_posted::text cpo, credits_pending::text cp from ledger_accounts where id = any($1) order by id`,
      [[u, payable, other]],
    );
    const byId = Object.fromEntries(rows.rows.map((r) => [r.id, r]));
    expect(byId[payable]).toMatchObject({ cpo: '511', cp: '30' });
    expect(byId[other]).toMatchObject({ dpo: '0', cpo: '713' });
    expect(byId[u]).toMatchObject({ dpo: '1224' });

    const held = await h.ledger.quarantinedDeltas(h.database.db);
    expect(held).toEqual([expect.objectContaining({ accountId: payable, creditsPosted: MAX_COUNTER, reason: 'overflows_credits_posted' })]);
    expect(await h.ledger.quarantineSummary(h.database.db)).toEqual({ deltas: 1, accounts: 1 });
    // Balances still count it (the view agrees with the row plus what is set aside), and the invariants say so.
    expect((await h.ledger.balance(h.database.db, payable))!.creditsPosted).toBe(511n + MAX_COUNTER);
    const violations = await ledgerViolations(h.database.db);
    expect(violations).toContain(`account ${payable} has 1 quarantined deltas (overflows_credits_posted)`);

    // The next folds neither fail nor try it again; new deltas still fold.
    await h.ledger.commit(h.database.db, [posted(u, payable, 1n)]);
    expect(await h.ledger.fold(h.database.db)).toEqual({ folded: 2, quarantined: 0 });
    expect(await h.ledger.fold(h.database.db)).toEqual({ folded: 0, quarantined: 0 });

    // Released, it is tried again and set aside again, since it still does not fit.
    expect(await h.ledger.releaseQuarantined(h.database.db, payable)).toBe(1);
    expect(await h.ledger.fold(h.database.db)).toEqual({ folded: 0, quarantined: 1 });
    await h.database.pool.query(`delete from ledger_quarantined_deltas where account_id = $1`, [payable]);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a release follows a reservation that was set aside, then the release is set aside too instead of driving the counter below zero', async () => {
    const [payable] = [await account('none')];
    await h.database.pool.query(
      `insert into ledger_account_deltas (account_id, credits_pending) values ($1, $2), ($1, $3), ($1, 5)`,
      [payable, MAX_COUNTER.toString(), (-MAX_COUNTER).toString()],
    );
    await h.database.pool.query(`insert into ledger_account_deltas (account_id, credits_pending) values ($1, $2)`, [payable, MAX_COUNTER.toString()]);
    // Net of the group: MAX + 5 > MAX, so the fold goes delta by delta: MAX fits, -MAX fits, 5 fits, MAX does not.
    expect(await h.ledger.fold(h.database.db)).toEqual({ folded: 3, quarantined: 1 });
    const row = await h.database.pool.query(`select credits_pending::text cp from ledger_accounts where id = $1`, [payable]);
    expect(row.rows[0].cp).toBe('5');
    const negative = await account('none');
    await h.database.pool.query(`insert into ledger_account_deltas (account_id, credits_pending) values ($1, -3)`, [negative]);
    expect(await h.ledger.fold(h.database.db)).toEqual({ folded: 0, quarantined: 1 });
    expect((await h.ledger.quarantinedDeltas(h.database.db)).map((q) => q.reason).sort()).toEqual(['negative_credits_pending', 'overflows_credits_pending']);
    await h.database.pool.query(`delete from ledger_quarantined_deltas`);
  });
});
