import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { csvField, csvLine } from '../../src/modules/reports/csv.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { advanceTo, credentialPayload, enrolled, factsFor, HOUR, signCredential, submitClaim, type Enrolled, usePaymentWorld } from '../claims/credential-fixtures.js';

const h = useHarness({ poolSize: 20 });
const pay = usePaymentWorld(h);

const get = (path: string, token = pay.finance) => request(h.app).get(path).set('authorization', `Bearer ${token}`);
const finish = (e: Enrolled) => advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
async function approvedClaim(e: Enrolled, amount: string) {
  finish(e);
  const jws = await signCredential(credentialPayload(factsFor(pay.world, e, h)), pay.signer);
  const res = await submitClaim(h, pay.world.providerToken, { enrolmentId: e.enrolmentId, amount, credential: jws });
  expect(res.body.status).toBe('approved');
  return res.body.id as string;
}
const financePost = (path: string, body: unknown, contentType = 'application/json') =>
  request(h.app).post(path).set('authorization', `Bearer ${pay.finance}`).set('idempotency-key', randomUUID()).set('content-type', contentType)
    .send(typeof body === 'string' ? body : JSON.stringify(body));

async function schemeRow(asOf?: string) {
  const res = await get(`/v1/reports/schemes${asOf ? `?asOf=${encodeURIComponent(asOf)}` : ''}`);
  expect(res.status).toBe(200);
  return res.body.schemes.find((s: { schemeId: string }) => s.schemeId === pay.world.scheme.id) as Record<string, string | boolean>;
}

/** The same figures straight from ledger_balances (current state). */
async function ledgerFigures() {
  const q = async (text: string, params: unknown[]) => (await h.database.pool.query(text, params)).rows[0];
  const budget = await q(
    `select (credits_posted - debits_posted - debits_pending)::text available from ledger_balances b join schemes s on s.budget_account_id = b.id where s.id = $1`,
    [pay.world.scheme.id],
  );
  const grants = await q(
    `select coalesce(sum(credits_posted - debits_posted - debits_pending), 0)::text credit, coalesce(sum(debits_pending), 0)::text reserved
       from ledger_balances b join grants g on g.id = b.id where g.scheme_id = $1`,
    [pay.world.scheme.id],
  );
  const spent = await q(
    `select coalesce(sum(t.amount), 0)::text spent from ledger_transfers t join grants g on g.id = t.debit_account_id
      where g.scheme_id = $1 and t.kind = 'post_pending' and t.code = 'claim_payment'`,
    [pay.world.scheme.id],
  );
  return { available: budget.available, creditWithLearners: grants.credit, reserved: grants.reserved, spent: spent.spent };
}

const tiesOut = (r: Record<string, string | boolean>) =>
  BigInt(r.granted as string) - BigInt(r.returned as string) ===
  BigInt(r.reserved as string) + BigInt(r.spent as string) + BigInt(r.creditWithLearners as string);

describe('scheme report', () => {
  it('when credit is granted, reserved and claimed, then the figures tie out to the cent and equal the ledger', async () => {
    const e1 = await enrolled(h, pay.world, { fee: '30000', credit: '50000' });
    await enrolled(h, pay.world, { fee: '12345', credit: '20001' });
    await pay.world.learnerWithCredit('777');
    await approvedClaim(e1, '25000');

    const row = await schemeRow();
    expect(row).toMatchObject({ currency: 'SGD', allocated: '100000000', granted: '70778', returned: '0', spent: '25000', reserved: '12345', tiesOut: true });
    expect(tiesOut(row)).toBe(true);
    expect(BigInt(row.available as string)).toBe(BigInt(row.allocated as string) - BigInt(row.granted as string) + BigInt(row.returned as string));
    expect(row).toMatchObject(await ledgerFigures());
    expect(row).toMatchObject({ spentDisbursed: '0', spentAwaitingDisbursement: '25000' });
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when asked as CSV, then it streams text/csv with a header row and the same numbers as the JSON', async () => {
    const json = await schemeRow();
    const asOf = (await get('/v1/reports/schemes')).body.asOf as string;
    const res = await get(`/v1/reports/schemes?format=csv&asOf=${encodeURIComponent(asOf)}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="schemes-.*\.csv"$/);
    const lines = res.text.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe(
      'scheme_id,code,name,currency,allocated,granted,expired,revoked,reversed,returned,available,reserved,spent,spent_disbursed,spent_awaiting_disbursement,credit_with_learners,ties_out,as_of',
    );
    const cells = lines.find((l) => l.startsWith(pay.world.scheme.id))!.split(',');
    const byName = Object.fromEntries(lines[0]!.split(',').map((k, i) => [k, cells[i]]));
    expect(byName).toMatchObject({
      allocated: json.allocated, granted: json.granted, returned: json.returned, available: json.available, reserved: json.reserved, spent: json.spent,
      spent_disbursed: json.spentDisbursed, spent_awaiting_disbursement: json.spentAwaitingDisbursement, credit_with_learners: json.creditWithLearners,
      ties_out: 'true', as_of: asOf,
    });
  });
});

describe('trial balance', () => {
  it('when books have activity, then debits equal credits per currency and the totals equal ledger_balances', async () => {
    const res = await get('/v1/reports/trial-balance');
    expect(res.status).toBe(200);
    const sgd = res.body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
    expect(sgd.balanced).toBe(true);
    expect(sgd.totals.debitsPosted).toBe(sgd.totals.creditsPosted);
    expect(sgd.totals.debitsPending).toBe(sgd.totals.creditsPending);
    expect(sgd.accountKinds.map((k: { kind: string }) => k.kind)).toEqual(expect.arrayContaining(['treasury', 'scheme_budget', 'learner_grant', 'provider_payable']));
    const ledger = await h.database.pool.query(
      `select kind, sum(debits_posted)::text "debitsPosted", sum(credits_posted)::text "creditsPosted",
              sum(debits_pending)::text "debitsPending", sum(credits_pending)::text "creditsPending"
         from ledger_balances where currency = 'SGD' group by kind
        having sum(debits_posted + credits_posted + debits_pending + credits_pending) > 0 order by kind`,
    );
    expect(sgd.accountKinds.map(({ kind, debitsPosted, creditsPosted, debitsPending, creditsPending }: Record<string, string>) => ({ kind, debitsPosted, creditsPosted, debitsPending, creditsPending })))
      .toEqual(ledger.rows);
    const csv = await get('/v1/reports/trial-balance?format=csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\r\n')[0]).toBe('currency,account_kind,accounts,debits_posted,credits_posted,debits_pending,credits_pending,balanced');
    expect(csv.text).toContain(`SGD,TOTAL,,${sgd.totals.debitsPosted},${sgd.totals.creditsPosted},${sgd.totals.debitsPending},${sgd.totals.creditsPending},true`);
  });
});

describe('as-of reports and disbursement', () => {
  it('when a report is taken at T and more happens later (claims, a disbursement batch, a bank statement), then asking for T again gives the identical body', async () => {
    const e = await enrolled(h, pay.world, { fee: '40000', credit: '40000' });
    const claimId = await approvedClaim(e, '40000');
    h.clock.advance(60_000);
    const T = h.clock.now().toISOString();
    const paths = [
      `/v1/reports/schemes?asOf=${encodeURIComponent(T)}`,
      `/v1/reports/trial-balance?asOf=${encodeURIComponent(T)}`,
      `/v1/reports/providers/${pay.world.providerId}/statement?asOf=${encodeURIComponent(T)}`,
      `/v1/reports/schemes?format=csv&asOf=${encodeURIComponent(T)}`,
      `/v1/reports/providers/${pay.world.providerId}/statement?format=csv&asOf=${encodeURIComponent(T)}`,
    ];
    const before = await Promise.all(paths.map(async (p) => (await get(p)).text));
    const atT = await schemeRow(T);
    expect(atT).toMatchObject({ spent: '65000', spentDisbursed: '0', spentAwaitingDisbursement: '65000' });

    // Later: more grants, reservations, a claim, a batch, a statement that settles it.
    h.clock.advance(HOUR);
    await pay.world.learnerWithCredit('5000');
    const e2 = await enrolled(h, pay.world, { fee: '10000', credit: '10000' });
    await approvedClaim(e2, '9000');
    const batch = await releasedBatch(h, { currency: 'SGD' });
    const line = batch.lines.find((l: { providerId: string }) => l.providerId === pay.world.providerId)!;
    expect(line.amount).toBe('74000');
    h.clock.advance(HOUR);
    const tInFlight = h.clock.now().toISOString();
    let statement = (await get(`/v1/reports/providers/${pay.world.providerId}/statement`)).body.currencies[0];
    expect(statement.closing).toMatchObject({ earned: '74000', disbursed: '0', inFlight: '74000', owed: '0' });

    h.clock.advance(HOUR);
    const csv = `booking_date,end_to_end_id,amount,currency,direction,type,status\r\n${h.clock.now().toISOString().slice(0, 10)},${line.endToEndId},740.00,SGD,DBIT,payment,BOOK\r\n`;
    const imported = await financePost('/v1/bank-statements', csv, 'text/csv');
    expect(imported.status).toBeLessThan(300);
    const paid = await get(`/v1/claims/${claimId}`);
    expect(paid.body.status).toBe('paid');

    // Now: disbursed; at tInFlight: in flight; at T: neither — and T answers exactly as before.
    const now = await schemeRow();
    expect(now).toMatchObject({ spent: '74000', spentDisbursed: '74000', spentAwaitingDisbursement: '0', tiesOut: true });
    expect(now).toMatchObject(await ledgerFigures());
    statement = (await get(`/v1/reports/providers/${pay.world.providerId}/statement`)).body.currencies[0];
    expect(statement.closing).toMatchObject({ earned: '74000', disbursed: '74000', inFlight: '0', owed: '0', reservedIncoming: '12345' });
    expect(statement.movements.map((m: { movement: string }) => m.movement)).toEqual(['earned', 'earned', 'earned', 'disbursement_submitted', 'disbursement_settled']);
    expect(statement.movements.at(-1).balance).toBe('0');
    const inFlight = (await get(`/v1/reports/providers/${pay.world.providerId}/statement?asOf=${encodeURIComponent(tInFlight)}`)).body.currencies[0];
    expect(inFlight.closing).toMatchObject({ disbursed: '0', inFlight: '74000', owed: '0' });
    expect((await schemeRow(tInFlight)).spentDisbursed).toBe('0');

    const after = await Promise.all(paths.map(async (p) => (await get(p)).text));
    expect(after).toEqual(before);
    const tb = (await get('/v1/reports/trial-balance')).body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
    expect(tb.balanced).toBe(true);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when asOf is in the future or not a datetime, then 422 and nothing is reported', async () => {
    const future = new Date(h.clock.now().getTime() + HOUR).toISOString();
    expect((await get(`/v1/reports/schemes?asOf=${encodeURIComponent(future)}`)).status).toBe(422);
    expect((await get('/v1/reports/trial-balance?asOf=yesterday')).status).toBe(422);
    expect((await get('/v1/reports/schemes?format=xlsx')).status).toBe(422);
    expect((await get(`/v1/reports/providers/${randomUUID()}/statement`)).status).toBe(404);
  });
});

describe('reconciliation exceptions', () => {
  it('when a statement line matches nothing, then it is listed as an open exception, in JSON and CSV', async () => {
    const csv = `booking_date,end_to_end_id,amount,currency,direction,type,status\r\n${h.clock.now().toISOString().slice(0, 10)},=HYPERLINK("x"),12.34,SGD,DBIT,payment,BOOK\r\n`;
    const imported = await financePost('/v1/bank-statements', csv, 'text/csv');
    expect(imported.status).toBeLessThan(300);
    const open = await get('/v1/reports/reconciliation-exceptions?status=open');
    expect(open.status).toBe(200);
    const unknown = open.body.items.find((x: { kind: string; actual: string | null }) => x.kind === 'unknown_reference' && x.actual === '1234');
    expect(unknown).toMatchObject({ status: 'open', currency: 'SGD' });
    expect((await get('/v1/reports/reconciliation-exceptions?status=resolved')).body.items).toEqual([]);
    const asCsv = await get('/v1/reports/reconciliation-exceptions?status=open&format=csv');
    expect(asCsv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = asCsv.text.split('\r\n').filter((l) => l !== '');
    expect(lines[0]).toBe('id,kind,status,currency,expected,actual,detail,statement_line_id,payment_line_id,raised_at,resolved_by,resolution,resolved_at');
    expect(lines).toHaveLength(open.body.items.length + 1);
    expect(lines.some((l) => l.startsWith(`${unknown.id},unknown_reference,open,SGD,`))).toBe(true);
  });
});

describe('access and CSV safety', () => {
  it('when a citizen or a provider asks for any report, then 403; pay.finance and admin may', async () => {
    const citizen = await h.token('citizen', { learnerId: randomUUID() });
    const paths = ['/v1/reports/schemes', '/v1/reports/trial-balance', `/v1/reports/providers/${pay.world.providerId}/statement`, '/v1/reports/reconciliation-exceptions'];
    for (const p of paths) {
      expect((await get(p, citizen)).status).toBe(403);
      expect((await get(p, pay.world.providerToken)).status).toBe(403);
      expect((await get(p, pay.world.api.admin)).status).toBe(200);
      expect((await get(p)).status).toBe(200);
    }
  });

  it('when a field could run as a formula or breaks the row, then it is neutralised and quoted per RFC 4180', () => {
    expect(csvField('=SUM(A1:A9)')).toBe("'=SUM(A1:A9)");
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('-250')).toBe('-250');
    expect(csvField('Tan, "Ah" Kow')).toBe('"Tan, ""Ah"" Kow"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(null)).toBe('');
    expect(csvLine(['a', 'b\nc', true])).toBe('a,"b\nc",true\r\n');
  });
});
