import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { runMaintenance } from '../../src/maintenance.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();

describe('periodic maintenance', () => {
  it('when time passes a grant expiry and a reservation timeout, then one maintenance pass returns the credit and releases the reservation', async () => {
    const api = await adminApi(h);
    const scheme = await api.scheme();
    await api.allocate(scheme.id, '100000');
    const learner = await api.learner();
    const expiresAt = new Date(h.clock.now().getTime() + 10 * 86_400_000).toISOString();
    const grant = (await api.grant(learner.id, { schemeId: scheme.id, amount: '40000', expiresAt })).body;
    const payable = randomUUID();
    await h.ledger.createAccounts(h.database.db, [{ id: payable, currency: 'SGD', kind: 'provider_payable', limit: 'none' }]);
    await h.ledger.commit(h.database.db, [
      { id: randomUUID(), kind: 'pending', debitAccountId: grant.id, creditAccountId: payable, amount: 15000n, code: 'reservation', timeoutSeconds: 86_400 },
    ]);

    h.clock.advance(2 * 86_400_000);
    const first = await runMaintenance(h.deps);
    expect(first).toMatchObject({ expired: 1, grantsClosed: 0 });
    h.clock.advance(10 * 86_400_000);
    const second = await runMaintenance(h.deps);
    expect(second).toMatchObject({ grantsClosed: 1, creditReturned: 40000n });
    const budget = await h.ledger.balance(h.database.db, (await h.database.pool.query(`select budget_account_id from schemes where id = $1`, [scheme.id])).rows[0].budget_account_id);
    expect(budget!.creditsPosted - budget!.debitsPosted).toBe(100000n);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});
