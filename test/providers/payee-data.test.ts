import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../src/db/schema/index.js';
import { defaultPolicy } from '../../src/modules/deps.js';
import { batchProblems, type CreditorAccount } from '../../src/modules/disbursements/payment-file.js';
import { errorPaths } from '../http/expect-problem.js';
import { useHarness } from '../support/harness.js';
import { deBankAccount, expectRefusedUnchanged, newProviderBody, providerApi, sgBankAccount } from './provider-fixtures.js';

/**
 * Payee data is checked against the payment-file rules when it is typed
 * (issue 12, item 2): a name no bank file can carry is refused at
 * registration and update, never found later by a batch that has moved money.
 */

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

const storedProvider = async (id: string) => (await h.database.db.select().from(providers).where(eq(providers.id, id)))[0];
const messageFor = (res: { body: { errors?: { path: string; message: string }[] } }, path: string) => res.body.errors?.find((e) => e.path === path)?.message;

/** The payment file a provider's stored data would produce, as the batch service checks it. */
function fileProblems(currency: 'SGD' | 'EUR', legalName: string, account: CreditorAccount) {
  return batchProblems({
    messageId: 'LCB0123456789abcdef', createdAt: new Date('2027-01-05T02:00:00Z'), requestedExecutionDate: '2027-01-06', currency,
    debtor: defaultPolicy.treasuryAccounts[currency]!,
    lines: [{ endToEndId: 'LC0123456789abcdef', amount: 30_000n, creditorName: legalName, creditorAccount: account, remittance: 'Learning Credits claims, batch LCB0123456789abcdef' }],
  });
}

const name141 = `Academy ${'x'.repeat(133)}`;
const name180 = 'N'.repeat(180);

describe('POST /v1/providers: payee data', () => {
  it.each([
    ['a 141-character legalName', { legalName: name141 }, 'body.legalName', /at most 140 characters/],
    ['the 180-character legalName of issue 12', { legalName: name180 }, 'body.legalName', /at most 140 characters/],
    ['a NUL in legalName', { legalName: 'Acme\u0000Training' }, 'body.legalName', /control characters/],
    ['a line break inside legalName', { legalName: 'Acme\nTraining Pte Ltd' }, 'body.legalName', /control characters/],
    ['a lone surrogate in legalName', { legalName: 'Acme \ud800 Training' }, 'body.legalName', /surrogate/],
    ['a 141-character bank accountName', { bankAccount: { ...sgBankAccount, accountName: name141 } }, 'body.bankAccount.accountName', /at most 140 characters/],
    ['a control character in bank accountName', { bankAccount: { ...sgBankAccount, accountName: 'Acme\u0007Training' } }, 'body.bankAccount.accountName', /control characters/],
  ])('when given %s, then 422 names %s and nothing is stored', async (_label, overrides, path, message) => {
    const res = await expectRefusedUnchanged(h, () => api.as(api.admin).post('/v1/providers', newProviderBody(overrides)), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual([path]);
    expect(messageFor(res, path)).toMatch(message);
  });

  it('when the legalName is exactly 140 characters, then it is registered and its payment file can be written', async () => {
    const legalName = `Academy ${'y'.repeat(132)}`;
    expect([...legalName]).toHaveLength(140);
    const res = await api.as(api.admin).post('/v1/providers', newProviderBody({ legalName }));
    expect(res.status, res.text).toBe(201);
    const row = await storedProvider(res.body.id);
    expect(row?.legalName).toBe(legalName);
    expect(fileProblems('SGD', row!.legalName, row!.bankAccount as CreditorAccount)).toEqual([]);
  });

  it('when the name counts 140 characters but more UTF-16 units (emoji, CJK extension), then it is still accepted: limits count characters as XML does', async () => {
    const legalName = `学 ${'𠀋'.repeat(138)}`;
    expect(legalName.length).toBeGreaterThan(140);
    const res = await api.as(api.admin).post('/v1/providers', newProviderBody({ legalName }));
    expect(res.status, res.text).toBe(201);
  });

  it.each([
    ['longer than the SEPA limit of 70', `Lernwerk ${'z'.repeat(62)}`, /at most 70 characters for a SEPA/],
    ['outside the SEPA character set', 'Lernwerk & Söhne GmbH', /SEPA character set/],
  ])('when a provider paid to a SEPA IBAN has a legalName %s, then 422 names body.legalName and nothing is stored', async (_label, legalName, message) => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'DE', legalName, bankAccount: deBankAccount })),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.legalName']);
    expect(messageFor(res, 'body.legalName')).toMatch(message);
    // The same name is fine for a payee outside SEPA: the ISO profile allows it.
    expect(fileProblems('SGD', legalName, sgBankAccount)).toEqual([]);
  });

  it('when a SEPA provider has a 70-character name in the SEPA set, then it is registered and its EUR file can be written', async () => {
    const legalName = `Lernwerk Bildung (Berlin) GmbH, Abt. 2/3 - Kurse + Pruefung ${'k'.repeat(10)}`;
    expect(legalName).toHaveLength(70);
    const res = await api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'DE', legalName, bankAccount: deBankAccount }));
    expect(res.status, res.text).toBe(201);
    const row = await storedProvider(res.body.id);
    expect(fileProblems('EUR', row!.legalName, row!.bankAccount as CreditorAccount)).toEqual([]);
  });
});

describe('POST /v1/providers/{providerId}/payee-changes: payee data', () => {
  it.each([
    ['a 141-character legalName', { legalName: name141 }, 'body.legalName'],
    ['a NUL in legalName', { legalName: 'Acme\u0000Training' }, 'body.legalName'],
    ['a 141-character bank accountName', { bankAccount: { ...sgBankAccount, accountName: name141 } }, 'body.bankAccount.accountName'],
    ['a tab in bank accountName', { bankAccount: { ...sgBankAccount, accountName: 'Acme\tTraining' } }, 'body.bankAccount.accountName'],
  ])('when given %s, then 422 names %s and the provider is unchanged', async (_label, body, path) => {
    const p = await api.provider();
    const before = await storedProvider(p.id);
    const res = await expectRefusedUnchanged(h, () => api.as(api.admin).post(`/v1/providers/${p.id}/payee-changes`, { ...body, reason: 'new bank details from the provider' }), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual([path]);
    expect(await storedProvider(p.id)).toEqual(before);
  });

  it('when the new name and a new SEPA account come together and the name has "&", then 422 names body.legalName and nothing changes', async () => {
    const p = await api.provider({ country: 'DE', bankAccount: deBankAccount, legalName: 'Lernwerk GmbH' });
    const before = await storedProvider(p.id);
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post(`/v1/providers/${p.id}/payee-changes`, { legalName: 'Lernwerk & Partner GmbH', bankAccount: { ...deBankAccount, accountName: 'Lernwerk & Partner GmbH' }, reason: 'merger' }),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.legalName']);
    expect(await storedProvider(p.id)).toEqual(before);
  });
});
