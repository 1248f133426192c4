import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { advanceTo, credentialPayload, DAY, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Signer, type World } from '../claims/credential-fixtures.js';
import { tenantWithApprovedClaim } from '../robustness/world.js';
import { catalogue } from '../support/catalogue.js';
import { financeAs } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { postForm, sessionFor } from './web-support.js';

const h = useHarness();
let world: World;
let signer: Signer;
let first: { cookie: string; csrf: string };
let second: { cookie: string; csrf: string };

beforeAll(async () => {
  world = await catalogue(h);
  signer = await registerSigner(h, world);
  first = await sessionFor(h, { role: 'finance', subject: 'officer-a' });
  second = await sessionFor(h, { role: 'finance', subject: 'officer-b' });
});

const page = async (path: string, browser = first) => request(h.app).get(path).set('Cookie', browser.cookie);
/** The statement form as a browser sends it with a file chosen: multipart, the file as statementFile. */
const uploadStatement = (fields: Record<string, string>, file: { name: string; type: string; data: string }, browser = first) => {
  const req = request(h.app).post('/finance/statements').set('Cookie', browser.cookie);
  for (const [name, value] of Object.entries(fields)) req.field(name, value);
  return req.attach('statementFile', Buffer.from(file.data), { filename: file.name, contentType: file.type });
};

/** The fields of the form that posts to `action`, as the page rendered them (hidden and pre-filled ones). */
function formFields(text: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</form>`).exec(text)?.[1];
  if (!form) throw new Error(`no form for ${action}`);
  return Object.fromEntries([...form.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}
const q = async <T>(sql: string, values: unknown[] = []) => (await h.database.pool.query(sql, values)).rows as T[];
const claimStatus = async (id: string) => (await q<{ status: string }>('select status from claims where id = $1', [id]))[0]?.status;

/** A claim the system sent to review: its credential was issued mid-run. */
async function claimInReview() {
  const e = await enrolled(h, world, { fee: '30000', credit: '50000' });
  advanceTo(h, new Date(e.startsAt.getTime() + DAY));
  const credential = await signCredential(credentialPayload(factsFor(world, e, h, { validFrom: new Date(h.clock.now().getTime() - HOUR) })), signer);
  const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential });
  expect(res.body.status, res.text).toBe('in_review');
  return res.body.id as string;
}

describe('GET /finance/review and POST /finance/claims/{id}/decision', () => {
  it('when the system held a claim, then one officer proposes, the page offers that officer no approval, and a second officer approves it', async () => {
    const claimId = await claimInReview();
    const queue = await page('/finance/review');
    expect(queue.status).toBe(200);
    expect(queue.text).toContain('The completion credential was issued before the course run ended');

    const action = `/finance/claims/${claimId}/decision`;
    const fields = formFields(queue.text, action);
    const proposed = await postForm(h.app, action, first.cookie, { ...fields, decision: 'approve', reason: 'attendance sheets checked' });
    expect(proposed.status).toBe(303);
    expect(proposed.headers.location).toBe('/finance/review?done=proposed');
    expect(await claimStatus(claimId)).toBe('in_review');

    const [approval] = await q<{ id: string }>(`select id from approvals where subject_id = $1 and status = 'pending'`, [claimId]);
    const mine = await page('/finance/review');
    expect(mine.text).toContain('You proposed this decision');
    expect(mine.text).not.toContain(`/finance/approvals/${approval!.id}/approve`);

    // The proposer posts the approval anyway: the service refuses, the page says why, nothing changes.
    const selfApproval = await postForm(h.app, `/finance/approvals/${approval!.id}/approve`, first.cookie, { csrf: first.csrf, idempotencyKey: randomUUID() });
    expect(selfApproval.headers.location).toBe('/finance/review?refused=four_eyes_required');
    expect((await page(selfApproval.headers.location!)).text).toContain('a second finance officer must approve it');
    expect(await claimStatus(claimId)).toBe('in_review');

    const theirs = await page('/finance/review', second);
    const secondFields = formFields(theirs.text, `/finance/approvals/${approval!.id}/approve`);
    const approved = await postForm(h.app, `/finance/approvals/${approval!.id}/approve`, second.cookie, secondFields);
    expect(approved.headers.location).toBe('/finance/review?done=approved');
    expect(await claimStatus(claimId)).toBe('approved');
    // The same form again (a double click) replays the first outcome and changes nothing.
    const again = await postForm(h.app, `/finance/approvals/${approval!.id}/approve`, second.cookie, secondFields);
    expect(again.headers.location).toBe('/finance/review?done=approved');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the reason is missing, then 400 with an error summary naming the field, and nothing is proposed', async () => {
    const claimId = await claimInReview();
    const action = `/finance/claims/${claimId}/decision`;
    const fields = formFields((await page('/finance/review')).text, action);
    const res = await postForm(h.app, action, first.cookie, { ...fields, decision: 'reject', reason: ' ' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('There is a problem');
    expect(res.text).toContain(`href="#reason-${claimId}"`);
    expect(res.text).toContain(`id="reason-${claimId}" name="reason" rows="2" maxlength="1000" aria-invalid="true"`);
    expect(await q(`select id from approvals where subject_id = $1`, [claimId])).toEqual([]);
  });
});

describe('the batch, statement and exception pages', () => {
  it('when two officers build and approve a batch, download its files, import a statement and resolve the exception, then each page shows it and the ledger balances', async () => {
    const tenant = await tenantWithApprovedClaim(h);
    const build = formFields((await page('/finance/batches')).text, '/finance/batches');

    // A cut-off in the future is refused, naming the field; no batch is made.
    const future = new Date(h.clock.now().getTime() + 3 * DAY).toISOString().slice(0, 10);
    const refused = await postForm(h.app, '/finance/batches', first.cookie, { ...build, currency: 'SGD', cutOff: future });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('href="#cutOff"');
    expect(await q('select id from disbursement_batches')).toEqual([]);

    const proposed = await postForm(h.app, '/finance/batches', first.cookie, { ...build, currency: 'SGD', cutOff: h.clock.now().toISOString().slice(0, 10) });
    expect(proposed.status).toBe(303);
    const batchId = /^\/finance\/batches\/([0-9a-f-]{36})\?done=proposed$/.exec(proposed.headers.location!)![1]!;
    const again = await postForm(h.app, '/finance/batches', first.cookie, { ...build, currency: 'SGD', cutOff: h.clock.now().toISOString().slice(0, 10) });
    expect(again.headers.location, 'the same form twice is one batch').toBe(proposed.headers.location);

    const own = await page(`/finance/batches/${batchId}`);
    expect(own.text).toContain('You proposed this batch');
    expect(own.text).not.toContain('/approve"');
    expect((await page(`/finance/batches/${batchId}/pain.001`)).status).toBe(409);

    const theirs = await page(`/finance/batches/${batchId}`, second);
    const approveAction = /action="(\/finance\/approvals\/[0-9a-f-]{36}\/approve)"/.exec(theirs.text)![1]!;
    const released = await postForm(h.app, approveAction, second.cookie, formFields(theirs.text, approveAction));
    expect(released.headers.location).toBe(`/finance/batches/${batchId}?done=approved`);

    // The files are the API's, byte for byte, as attachments.
    const api = await financeAs(h, 'officer-a');
    for (const [path, format] of [['pain.001', 'pain.001'], ['payment.csv', 'csv']] as const) {
      const file = await page(`/finance/batches/${batchId}/${path}`);
      expect(file.status).toBe(200);
      expect(file.headers['content-disposition']).toMatch(/^attachment; filename="LCB[0-9a-f]+\.(xml|csv)"$/);
      expect(file.text).toBe((await api.get(`/v1/disbursement-batches/${batchId}/payment-file?format=${format}`)).text);
    }

    const batch = (await api.get(`/v1/disbursement-batches/${batchId}`)).body as { lines: { endToEndId: string; amount: string; providerId: string }[] };
    const line = batch.lines.find((l) => l.providerId === tenant.world.providerId)!;
    const decimal = (minor: string) => `${BigInt(minor) / 100n}.${(BigInt(minor) % 100n).toString().padStart(2, '0')}`;
    const csv = [
      'booking_date,end_to_end_id,amount,currency,direction,type,status',
      `${h.clock.now().toISOString().slice(0, 10)},${line.endToEndId},${decimal(line.amount)},SGD,DBIT,payment,BOOK`,
      `${h.clock.now().toISOString().slice(0, 10)},LCUNKNOWN0001,12.34,SGD,DBIT,payment,BOOK`,
    ].join('\n');
    const form = (await page('/finance/statements')).text;
    expect(form).toContain('enctype="multipart/form-data"');
    expect(form).toMatch(/<input type="file" id="statement-file" name="statementFile"/);
    const upload = formFields(form, '/finance/statements');
    const empty = await postForm(h.app, '/finance/statements', first.cookie, { ...upload, format: 'csv', statement: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('href="#statement"');
    // The file itself is sent (no script needed); the paste box is left empty.
    const imported = await uploadStatement({ ...upload, format: 'csv', statement: '' }, { name: 'statement.csv', type: 'text/csv', data: csv });
    expect(imported.status, imported.text).toBe(303);
    const statement = await page(imported.headers.location!);
    expect(statement.text).toContain('The statement was imported and reconciled.');
    expect(statement.text).toMatch(/<dt>Settled<\/dt><dd>1<\/dd>/);
    expect(statement.text).toMatch(/<dt>Exception<\/dt><dd>1<\/dd>/);

    const [exception] = await q<{ id: string }>(`select id from reconciliation_exceptions where kind = 'unknown_reference' and status = 'open'`);
    const exceptions = await page('/finance/exceptions', second);
    expect(exceptions.text).toContain('A reference the service does not know');
    const resolveAction = `/finance/exceptions/${exception!.id}/resolve`;
    const resolveFields = formFields(exceptions.text, resolveAction);
    const short = await postForm(h.app, resolveAction, second.cookie, { ...resolveFields, resolution: 'x' });
    expect(short.status).toBe(400);
    expect(short.text).toContain(`href="#resolution-${exception!.id}"`);
    const resolved = await postForm(h.app, resolveAction, second.cookie, { ...resolveFields, resolution: 'bank fee booked against the wrong account; bank asked to reverse it' });
    expect(resolved.headers.location).toBe('/finance/exceptions?done=resolved');
    expect((await q<{ status: string; resolved_by: string }>('select status, resolved_by from reconciliation_exceptions where id = $1', [exception!.id]))[0])
      .toEqual({ status: 'resolved', resolved_by: 'officer-b' });
    expect(await claimStatus(tenant.claimId)).toBe('paid');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when a statement cannot be read, then 400 naming the statement field with the problems, and nothing is stored', async () => {
    const upload = formFields((await page('/finance/statements')).text, '/finance/statements');
    const before = await q('select id from bank_statements');
    const res = await postForm(h.app, '/finance/statements', first.cookie, { ...upload, format: 'camt.053', statement: '<Document>not a statement</Document>' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('href="#statement"');
    expect(res.text).toContain('&lt;Document&gt;not a statement&lt;/Document&gt;');
    // An uploaded file is the statement even with text in the paste box; a broken one is refused the same way.
    const file = await uploadStatement({ ...upload, format: 'camt.053', statement: 'ignored' }, { name: 'statement.xml', type: 'application/xml', data: '<Document>not a file either</Document>' });
    expect(file.status).toBe(400);
    expect(file.text).toContain('href="#statement"');
    expect(file.text).toContain('&lt;Document&gt;not a file either&lt;/Document&gt;');
    // Above the form's limit, a file is refused before it is read whole.
    const huge = await uploadStatement({ ...upload, format: 'csv', statement: '' }, { name: 'statement.csv', type: 'text/csv', data: 'a'.repeat(1024 * 1024 + 20_000) });
    expect(huge.status).toBe(413);
    expect(await q('select id from bank_statements')).toEqual(before);
  });
});

describe('the reports', () => {
  it('when an officer opens the scheme report, then it draws an accessible SVG chart with its data table, and the CSV is the API\'s', async () => {
    const res = await page('/finance/reports/schemes');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<svg viewBox="0 0 640 280" role="img" aria-labelledby="scheme-chart-title scheme-chart-desc"/);
    expect(res.text).toContain('<caption id="chart-table-caption">');
    const csv = await page('/finance/reports/schemes.csv');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="schemes-/);
    const api = await (await financeAs(h, 'officer-a')).get('/v1/reports/schemes?format=csv');
    expect(csv.text.split('\r\n')[0]).toBe(api.text.split('\r\n')[0]);
    expect(csv.text.split('\r\n').length).toBe(api.text.split('\r\n').length);
  });

  it('when an officer opens the equity report by a dimension, then a table per scheme, small cells suppressed, and its CSV download', async () => {
    // The report is published per closed month: a month on, this month's learners are in it.
    h.clock.advance(32 * 24 * 3600_000);
    const res = await page('/finance/reports/equity?groupBy=ageBand');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Figures for the last closed period');
    expect(res.text).toContain('by Age band');
    expect(res.text).toContain('Suppressed');
    const csv = await page('/finance/reports/equity.csv?groupBy=ageBand');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="equity-ageBand-/);
    const api = await (await financeAs(h, 'officer-a')).get('/v1/reports/equity?format=csv&groupBy=ageBand');
    expect(csv.text.split('\r\n').map((l) => l.replace(/,[^,]*$/, ''))).toEqual(api.text.split('\r\n').map((l) => l.replace(/,[^,]*$/, '')));
  });

  it('when a citizen opens the finance console, then 403', async () => {
    const citizen = await sessionFor(h, { role: 'citizen', subject: 'oidc:x', learnerId: randomUUID() });
    expect((await page('/finance/batches', citizen)).status).toBe(403);
  });
});
