import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../src/db/schema/index.js';
import { errorPaths, expectProblem } from '../http/expect-problem.js';
import { useHarness } from '../support/harness.js';
import { auditFor, deBankAccount, expectRefusedUnchanged, newProviderBody, providerApi, sgBankAccount } from './provider-fixtures.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

const storedProvider = async (id: string) => (await h.database.db.select().from(providers).where(eq(providers.id, id)))[0];


describe('POST /v1/providers', () => {
  it('when an admin onboards a Singapore provider with a domestic account, then it is stored active and audited', async () => {
    const body = newProviderBody({ legalName: 'Skills Academy Pte Ltd' });
    const res = await api.as(api.admin).post('/v1/providers', body);

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/providers/${res.body.id}`);
    expect(res.body).toMatchObject({
      legalName: 'Skills Academy Pte Ltd',
      registrationNumber: body.registrationNumber,
      country: 'SG',
      status: 'active',
      contactEmail: 'finance@acme.example',
      bankAccount: sgBankAccount,
      createdAt: h.clock.now().toISOString(),
    });
    const row = await storedProvider(res.body.id);
    expect(row).toMatchObject({ legalName: 'Skills Academy Pte Ltd', status: 'active', bankAccount: sgBankAccount });
    const [event] = await auditFor(h, res.body.id, 'provider.created');
    expect(event).toMatchObject({ entityType: 'provider', actorRole: 'admin' });
    // The audit trail recognises the account without holding a copy of it.
    expect(event!.details).toMatchObject({ bankAccount: 'account ending 6789' });
    expect(JSON.stringify(event!.details)).not.toContain(sgBankAccount.accountNumber);
  });

  it('when an IBAN is typed with spaces and lower case, then it is checked and stored in electronic form', async () => {
    const res = await api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'DE', bankAccount: deBankAccount }));
    expect(res.status).toBe(201);
    const stored = { accountName: 'Lernwerk GmbH', bic: 'DEUTDEFF', iban: 'DE89370400440532013000' };
    expect(res.body.bankAccount).toEqual(stored);
    expect((await storedProvider(res.body.id))?.bankAccount).toEqual(stored);
  });

  it('when the IBAN fails its mod-97 check, then 422 names bankAccount.iban and nothing is stored', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'DE', bankAccount: { ...deBankAccount, iban: 'DE88370400440532013000' } })),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.bankAccount.iban']);
    expect(res.body.errors[0].message).toMatch(/mod-97/);
  });

  it('when the BIC is not 8 or 11 characters of the ISO 9362 form, then 422 names bankAccount.bic', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'DE', bankAccount: { ...deBankAccount, bic: 'DEUTDEF' } })),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.bankAccount.bic']);
  });

  it('when a Singapore provider gives an IBAN, then 422 says SG has none', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'SG', bankAccount: deBankAccount })),
      422,
      'validation_failed',
    );
    expect(res.body.errors).toEqual([{ path: 'body.bankAccount.iban', message: expect.stringMatching(/SG has no IBAN/) }]);
  });

  it('when a domestic account does not fit its country, then 422 names each field with the rule', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'ID', bankAccount: { ...sgBankAccount, bankCode: '7171', accountNumber: '123456789' } })),
      422,
      'validation_failed',
    );
    expect(res.body.errors).toEqual([
      { path: 'body.bankAccount.bankCode', message: 'must be 3 digits in ID' },
      { path: 'body.bankAccount.accountNumber', message: 'must be 10 to 16 digits in ID' },
    ]);
  });

  it('when a German provider gives a domestic account, then 422 asks for an IBAN', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'DE', bankAccount: sgBankAccount })),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.bankAccount.iban']);
  });

  it('when the bank account has neither shape, then 422 names bankAccount and explains both shapes', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ bankAccount: { accountName: 'Acme' } })),
      422,
      'validation_failed',
    );
    expect(res.body.errors).toEqual([{ path: 'body.bankAccount', message: expect.stringMatching(/bic, iban.*bankCode, accountNumber/) }]);
  });

  it('when the country is not an ISO 3166 code and the email is not an email, then 422 names both', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', newProviderBody({ country: 'XX', contactEmail: 'nobody' })),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.contactEmail', 'body.country']);
  });

  it('when an extra field is sent, then 422 names it and nothing is stored', async () => {
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post('/v1/providers', { ...newProviderBody(), status: 'suspended' }),
      422,
      'validation_failed',
    );
    expect(res.body.errors[0].message).toMatch(/status/);
  });

  it('when the registration number is already registered in that country, then 409 and no second provider', async () => {
    const body = newProviderBody();
    expect((await api.as(api.admin).post('/v1/providers', body)).status).toBe(201);
    await expectRefusedUnchanged(h, () => api.as(api.admin).post('/v1/providers', { ...body, legalName: 'Someone Else' }), 409, 'conflict');
  });

  it('when the request is retried with the same Idempotency-Key, then one provider exists and the first answer is replayed', async () => {
    const body = newProviderBody();
    const key = randomUUID();
    const send = () =>
      api.as(api.admin).post('/v1/providers', body).set('idempotency-key', key);
    const first = await send();
    const again = await send();
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const rows = await h.database.db.select().from(providers).where(eq(providers.registrationNumber, body.registrationNumber));
    expect(rows).toHaveLength(1);
  });

  it('when a provider or a citizen tries to onboard a provider, then 403 and nothing is stored', async () => {
    const provider = await h.token('provider', { providerId: randomUUID() });
    const citizen = await h.token('citizen', { learnerId: randomUUID() });
    await expectRefusedUnchanged(h, () => api.as(provider).post('/v1/providers', newProviderBody()), 403, 'forbidden');
    await expectRefusedUnchanged(h, () => api.as(citizen).post('/v1/providers', newProviderBody()), 403, 'forbidden');
  });
});

describe('GET /v1/providers', () => {
  it('when finance pages through suspended providers, then each appears once, in creation order, and only suspended ones', async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await api.provider();
      await api.as(api.admin).patch(`/v1/providers/${p.id}`, { status: 'suspended', reason: 'audit finding' });
      created.push(p.id);
      h.clock.advance(1_000);
    }
    const finance = await h.token('finance');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.as(finance).get(`/v1/providers?status=suspended&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      for (const p of res.body.items) expect(p.status).toBe('suspended');
      seen.push(...res.body.items.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => created.includes(id))).toEqual(created);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('when the cursor was not issued by the service, then 422 names query.cursor', async () => {
    const res = await api.as(api.admin).get('/v1/providers?cursor=bm9wZQ');
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['query.cursor']);
  });
});

describe('GET /v1/providers/{providerId}', () => {
  it('when admin or finance reads a provider, then they get it; an unknown id is 404', async () => {
    const p = await api.provider();
    for (const role of ['admin', 'finance'] as const) {
      const res = await api.as(await h.token(role)).get(`/v1/providers/${p.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: p.id, bankAccount: sgBankAccount });
    }
    expectProblem(await api.as(api.admin).get(`/v1/providers/${randomUUID()}`), 404, 'not_found');
  });
});

describe('PATCH /v1/providers/{providerId}', () => {
  it('when an admin suspends without a reason, then 422 names reason and the provider stays active', async () => {
    const p = await api.provider();
    const res = await expectRefusedUnchanged(h, () => api.as(api.admin).patch(`/v1/providers/${p.id}`, { status: 'suspended' }), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.reason']);
    expect((await storedProvider(p.id))?.status).toBe('active');
  });

  it('when an admin suspends with a reason and later reinstates, then both are stored and audited with the reason', async () => {
    const p = await api.provider();
    h.clock.advance(60_000);
    const suspended = await api.as(api.admin).patch(`/v1/providers/${p.id}`, { status: 'suspended', reason: 'burst of claims under review' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({ status: 'suspended', updatedAt: h.clock.now().toISOString() });
    expect((await storedProvider(p.id))?.status).toBe('suspended');
    const [event] = await auditFor(h, p.id, 'provider.suspended');
    expect(event?.details).toMatchObject({ reason: 'burst of claims under review', status: { from: 'active', to: 'suspended' } });

    const reinstated = await api.as(api.admin).patch(`/v1/providers/${p.id}`, { status: 'active', reason: 'review cleared' });
    expect(reinstated.body.status).toBe('active');
    expect(await auditFor(h, p.id, 'provider.reinstated')).toHaveLength(1);
  });

  it('when an admin proposes a new bank account, then the old one stays in force until a second admin approves; the audit names both and masks both accounts', async () => {
    const p = await api.provider();
    const next = { accountName: 'Acme Training Pte Ltd', bankCode: '7339', accountNumber: '5550001111' };
    const proposed = await api.as(api.admin).post(`/v1/providers/${p.id}/payee-changes`, { bankAccount: next, reason: 'the provider changed banks' });
    expect(proposed.status, proposed.text).toBe(202);
    expect(proposed.body).toMatchObject({ kind: 'provider.payee_change', status: 'pending' });
    expect((await storedProvider(p.id))?.bankAccount).toEqual(sgBankAccount);

    // The proposer approving it alone: four eyes refused, nothing changes.
    const self = await api.as(api.admin).post(`/v1/approvals/${proposed.body.id}/approve`, {});
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('four_eyes_required');
    expect((await storedProvider(p.id))?.bankAccount).toEqual(sgBankAccount);
    // Finance cannot approve a payee change either.
    expect((await api.as(await h.token('finance', { sub: 'officer-f' })).post(`/v1/approvals/${proposed.body.id}/approve`, {})).status).toBe(403);

    const second = await h.token('admin', { sub: 'admin-second' });
    const approved = await api.as(second).post(`/v1/approvals/${proposed.body.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect((await storedProvider(p.id))?.bankAccount).toEqual(next);
    const [event] = await auditFor(h, p.id, 'provider.payee_changed');
    expect(event?.details).toMatchObject({ bankAccount: { from: 'account ending 6789', to: 'account ending 1111' }, approvedBy: 'admin-second' });
    expect(JSON.stringify(event?.details)).not.toContain('5550001111');
  });

  it('when an admin PATCHes a bank account or legal name, then 422 points to the payee-change proposal and nothing changes', async () => {
    const p = await api.provider();
    for (const body of [{ bankAccount: { ...sgBankAccount, accountNumber: '999999999' } }, { legalName: 'Someone Else Pte Ltd' }]) {
      const res = await expectRefusedUnchanged(h, () => api.as(api.admin).patch(`/v1/providers/${p.id}`, body), 422, 'validation_failed');
      expect(JSON.stringify(res.body.errors)).toContain('payee-changes');
    }
  });

  it("when the proposed bank account does not fit the provider's country, then 422 names the field and nothing is proposed", async () => {
    const p = await api.provider();
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(api.admin).post(`/v1/providers/${p.id}/payee-changes`, { bankAccount: deBankAccount, reason: 'new bank' }),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body.bankAccount.iban']);
    expect((await storedProvider(p.id))?.bankAccount).toEqual(sgBankAccount);
  });

  it('when the body changes nothing, then 422; when the provider is unknown, then 404', async () => {
    const p = await api.provider();
    expectProblem(await api.as(api.admin).patch(`/v1/providers/${p.id}`, {}), 422, 'validation_failed');
    expectProblem(await api.as(api.admin).patch(`/v1/providers/${randomUUID()}`, { contactEmail: 'x@acme.example' }), 404, 'not_found');
  });
});

describe('/v1/providers/me', () => {
  it('when a provider reads itself, then it gets its own record', async () => {
    const p = await api.provider();
    const res = await api.as(p.token).get('/v1/providers/me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: p.id, bankAccount: sgBankAccount });
  });

  it('when a provider changes its contact email, then it is stored and audited', async () => {
    const p = await api.provider();
    const res = await api.as(p.token).patch('/v1/providers/me', { contactEmail: 'claims@acme.example' });
    expect(res.status).toBe(200);
    expect(res.body.contactEmail).toBe('claims@acme.example');
    expect((await storedProvider(p.id))?.contactEmail).toBe('claims@acme.example');
    const [event] = await auditFor(h, p.id, 'provider.updated');
    expect(event).toMatchObject({ actorRole: 'provider', details: { changed: ['contactEmail'] } });
  });

  it('when a provider tries to change its own bank account, then 422 explains only an admin may, and nothing changes', async () => {
    const p = await api.provider();
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(p.token).patch('/v1/providers/me', { contactEmail: 'x@acme.example', bankAccount: { ...sgBankAccount, accountNumber: '999999999' } }),
      422,
      'validation_failed',
    );
    expect(res.body.errors[0].message).toMatch(/only through an administrator.*bankAccount/);
    expect(await storedProvider(p.id)).toMatchObject({ bankAccount: sgBankAccount, contactEmail: 'finance@acme.example' });
  });

  it('when a provider token names a provider that is not registered, then /me is 404', async () => {
    const ghost = await h.token('provider', { providerId: randomUUID() });
    expectProblem(await api.as(ghost).get('/v1/providers/me'), 404, 'not_found');
  });
});

describe('tenancy between providers', () => {
  it('when provider A calls any route naming provider B, then it is refused and B is unchanged', async () => {
    const a = await api.provider();
    const b = await api.provider();
    const before = await storedProvider(b.id);
    const attempts = [
      api.as(a.token).get(`/v1/providers/${b.id}`),
      api.as(a.token).patch(`/v1/providers/${b.id}`, { contactEmail: 'evil@example.com' }),
      api.as(a.token).patch(`/v1/providers/${b.id}`, { bankAccount: { ...sgBankAccount, accountNumber: '999999999' } }),
      api.as(a.token).get(`/v1/providers/${b.id}/keys`),
      api.as(a.token).post(`/v1/providers/${b.id}/keys`, { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) } }),
      api.as(a.token).post(`/v1/providers/${b.id}/keys/${randomUUID()}/deactivate`),
      api.as(a.token).get('/v1/providers'),
    ];
    for (const res of await Promise.all(attempts)) expectProblem(res, 403, 'forbidden');
    expect(await storedProvider(b.id)).toEqual(before);
  });

  it('when provider A reads /me, then it never sees B', async () => {
    const a = await api.provider();
    await api.provider();
    const res = await api.as(a.token).get('/v1/providers/me');
    expect(res.body.id).toBe(a.id);
  });

  it('when a citizen calls provider routes, then every one is 403', async () => {
    const citizen = await h.token('citizen', { learnerId: randomUUID() });
    const p = await api.provider();
    for (const path of ['/v1/providers', `/v1/providers/${p.id}`, '/v1/providers/me', `/v1/providers/${p.id}/keys`, '/v1/providers/me/keys']) {
      expectProblem(await api.as(citizen).get(path), 403, 'forbidden');
    }
  });
});
