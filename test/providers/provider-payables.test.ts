import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { providerPayables } from '../../src/db/schema/index.js';
import { inTransaction } from '../../src/db/transaction.js';
import { ensureProviderPayable } from '../../src/modules/providers/providers.service.js';
import { useHarness } from '../support/harness.js';
import { providerApi } from './provider-fixtures.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

const payableRows = (providerId: string, currency: string) =>
  h.database.db
    .select()
    .from(providerPayables)
    .where(and(eq(providerPayables.providerId, providerId), eq(providerPayables.currency, currency)));

describe('ensureProviderPayable', () => {
  it('when first asked for a currency, then it creates a provider_payable ledger account owned by the provider, and returns the same one after', async () => {
    const p = await api.provider();
    const id = await inTransaction(h.database.db, (tx) => ensureProviderPayable(tx, h.ledger, p.id, 'SGD'));
    expect(await ensureProviderPayable(h.database.db, h.ledger, p.id, 'SGD')).toBe(id);
    expect(await payableRows(p.id, 'SGD')).toEqual([{ providerId: p.id, currency: 'SGD', accountId: id }]);
    expect(await h.ledger.balance(h.database.db, id)).toMatchObject({ kind: 'provider_payable', currency: 'SGD', ownerId: p.id, creditsPosted: 0n });
  });

  it('when asked for another currency, then that currency gets its own account', async () => {
    const p = await api.provider();
    const sgd = await ensureProviderPayable(h.database.db, h.ledger, p.id, 'SGD');
    const eur = await ensureProviderPayable(h.database.db, h.ledger, p.id, 'EUR');
    expect(eur).not.toBe(sgd);
    expect(await h.ledger.balance(h.database.db, eur)).toMatchObject({ currency: 'EUR', kind: 'provider_payable' });
  });

  it('when many transactions ask at once, then exactly one payable and one ledger account exist', async () => {
    const p = await api.provider();
    const ids = await Promise.all(
      Array.from({ length: 8 }, () => inTransaction(h.database.db, (tx) => ensureProviderPayable(tx, h.ledger, p.id, 'IDR'))),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await payableRows(p.id, 'IDR')).toHaveLength(1);
    const accounts = await h.database.pool.query(`select count(*)::int n from ledger_accounts where owner_id = $1 and kind = 'provider_payable'`, [p.id]);
    expect(accounts.rows[0].n).toBe(1);
  });
});
