import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { advanceTo, credentialPayload, enrolled, factsFor, HOUR, signCredential } from '../claims/credential-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { booked, csv, recoveryWorld } from '../recoveries/recovery-world.js';
import { postForm, sessionFor } from './web-support.js';

const h = useHarness();
let w: Awaited<ReturnType<typeof recoveryWorld>>;
let desk: { cookie: string; csrf: string };

beforeAll(async () => {
  w = await recoveryWorld(h);
  desk = await sessionFor(h, { role: 'provider', subject: 'oidc:provider-staff', providerId: w.world.providerId });
});

const q = async <T = Record<string, string>>(text: string, values: unknown[] = []) => (await h.database.pool.query(text, values)).rows as T[];
const enrolmentsOf = (runId: string) => q<{ id: string; status: string; learner_id: string }>('select id, status, learner_id from enrolments where course_run_id = $1', [runId]);
const claimsOf = (enrolmentId: string) => q<{ id: string; status: string }>('select id, status from claims where enrolment_id = $1', [enrolmentId]);

/** The claim form as a browser sends it: multipart, with the credential as a file. */
const uploadClaim = (enrolmentId: string, fields: { amount: string; file?: Buffer; key?: string }, browser = desk) => {
  const req = request(h.app).post(`/provider/enrolments/${enrolmentId}/claim`).set('Cookie', browser.cookie)
    .field('csrf', browser.csrf).field('idempotencyKey', fields.key ?? randomUUID()).field('amount', fields.amount).field('credential', '');
  return fields.file ? req.attach('credentialFile', fields.file, { filename: 'credential.jwt', contentType: 'application/octet-stream' }) : req;
};

/** A reserved enrolment whose run has ended, and a valid credential for it. */
async function finishedEnrolment(fee = '30000') {
  const e = await enrolled(h, w.world, { fee, credit: '500000' });
  advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
  const credential = await signCredential(credentialPayload(factsFor(w.world, e, h)), w.signer);
  return { e, credential };
}

describe('GET /provider (course runs)', () => {
  it('when provider staff open the desk, then they see their own runs with the seats taken, and not another provider\'s runs', async () => {
    const runId = await w.world.run('20000', { capacity: 12 });
    const other = await catalogue(h);
    const otherRun = await other.run('20000');
    const res = await request(h.app).get('/provider').set('Cookie', desk.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Course runs and enrolments</h1>');
    expect(res.text).toContain(`href="/provider/runs/${runId}"`);
    expect(res.text).toContain('0 of 12 taken');
    expect(res.text).not.toContain(otherRun);
    const foreign = await request(h.app).get(`/provider/runs/${otherRun}`).set('Cookie', desk.cookie);
    expect(foreign.status).toBe(404);
  });

  it('when provider staff land on / after sign-in, then it lists their pages', async () => {
    const res = await request(h.app).get('/').set('Cookie', desk.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<li><a href="/provider">Course runs</a></li>');
    expect(res.text).toContain('<li><a href="/provider/recoveries">Recoveries</a></li>');
  });

  it('when a citizen opens the provider desk, then 403', async () => {
    const learner = await w.world.learnerWithCredit('1000');
    const citizen = await sessionFor(h, { role: 'citizen', subject: 'oidc:c', learnerId: learner.id });
    expect((await request(h.app).get('/provider').set('Cookie', citizen.cookie)).status).toBe(403);
  });
});

describe('POST /provider/runs/:runId/enrolments (request an enrolment)', () => {
  it('when staff request an enrolment for a learner with credit, then it waits for consent, nothing is reserved, and the page shows the co-payment and the deadline', async () => {
    const runId = await w.world.run('30000');
    const learner = await w.world.learnerWithCredit('50000');
    const key = randomUUID();
    const res = await postForm(h.app, `/provider/runs/${runId}/enrolments`, desk.cookie, { csrf: desk.csrf, idempotencyKey: key, learnerId: learner.id });
    expect(res.status).toBe(303);
    const [row] = await enrolmentsOf(runId);
    expect(row).toMatchObject({ status: 'requested', learner_id: learner.id });
    expect(res.headers.location).toBe(`/provider/enrolments/${row!.id}?done=requested`);
    const pending = await q(`select count(*)::int n from ledger_transfers where reference_id = $1`, [row!.id]);
    expect(pending[0]!.n).toBe(0);

    const page = await request(h.app).get(res.headers.location!).set('Cookie', desk.cookie);
    expect(page.text).toContain('The request is sent. Nothing is reserved until the learner approves it.');
    expect(page.text).toContain('Waiting for the learner');
    expect(page.text).toContain('The learner must answer by');
    expect(page.text).toMatch(/Paid by the learner<\/dt><dd>\$[\d.,]+<\/dd>/);

    // The same form sent twice (a double click) is one request.
    const again = await postForm(h.app, `/provider/runs/${runId}/enrolments`, desk.cookie, { csrf: desk.csrf, idempotencyKey: key, learnerId: learner.id });
    expect(again.headers.location).toBe(res.headers.location);
    expect(await enrolmentsOf(runId)).toHaveLength(1);
  });

  it('when the learner id is not an id, then 400 with the error summary naming the field, and nothing is requested', async () => {
    const runId = await w.world.run('30000');
    const res = await postForm(h.app, `/provider/runs/${runId}/enrolments`, desk.cookie, { csrf: desk.csrf, idempotencyKey: randomUUID(), learnerId: 'S1234567D' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<h2 id="error-summary-title">There is a problem</h2>');
    expect(res.text).toContain('<a href="#learnerId">Enter the learner id in the right form');
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).toContain('value="S1234567D"');
    expect(await enrolmentsOf(runId)).toEqual([]);
  });

  it('when the learner has no credit for the course, then the page says why in plain words and nothing is requested', async () => {
    const runId = await w.world.run('30000');
    const learner = await w.world.learnerWithCredit('0');
    const res = await postForm(h.app, `/provider/runs/${runId}/enrolments`, desk.cookie, { csrf: desk.csrf, idempotencyKey: randomUUID(), learnerId: learner.id });
    expect(res.status).toBe(400);
    expect(res.text).toContain('The learner holds no credit from a scheme that funds this course.');
    expect(await enrolmentsOf(runId)).toEqual([]);
  });

  it('when the learner does not exist, then the field says no learner has this id', async () => {
    const runId = await w.world.run('30000');
    const res = await postForm(h.app, `/provider/runs/${runId}/enrolments`, desk.cookie, { csrf: desk.csrf, idempotencyKey: randomUUID(), learnerId: randomUUID() });
    expect(res.status).toBe(400);
    expect(res.text).toContain('No learner has this id.');
    expect(await enrolmentsOf(runId)).toEqual([]);
  });
});

describe('POST /provider/enrolments/:enrolmentId/claim (upload the credential)', () => {
  it('when staff upload a valid credential file, then the claim is approved, the status page says so, and a resubmit of the same form is the same claim', async () => {
    const { e, credential } = await finishedEnrolment();
    const form = await request(h.app).get(`/provider/enrolments/${e.enrolmentId}`).set('Cookie', desk.cookie);
    expect(form.text).toContain('enctype="multipart/form-data"');
    expect(form.text).toContain('name="amount" value="300.00"');
    const key = randomUUID();
    const res = await uploadClaim(e.enrolmentId, { amount: '300.00', file: Buffer.from(`${credential}\n`), key });
    expect(res.status, res.text).toBe(303);
    const [claim] = await claimsOf(e.enrolmentId);
    expect(claim).toMatchObject({ status: 'approved' });
    expect(res.headers.location).toBe(`/provider/claims/${claim!.id}?done=submitted`);
    const page = await request(h.app).get(res.headers.location!).set('Cookie', desk.cookie);
    expect(page.text).toContain('<strong>Approved</strong>');
    expect(page.text).toContain('The claim passed every check.');

    const again = await uploadClaim(e.enrolmentId, { amount: '300.00', file: Buffer.from(credential), key });
    expect(again.headers.location).toBe(res.headers.location);
    expect(await claimsOf(e.enrolmentId)).toHaveLength(1);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when staff paste the credential instead (a plain form), then the claim is made from it', async () => {
    const { e, credential } = await finishedEnrolment();
    const res = await postForm(h.app, `/provider/enrolments/${e.enrolmentId}/claim`, desk.cookie, { csrf: desk.csrf, idempotencyKey: randomUUID(), amount: '250', credential });
    expect(res.status).toBe(303);
    expect(await q('select status, amount_claimed::text a from claims where enrolment_id = $1', [e.enrolmentId])).toEqual([{ status: 'approved', a: '25000' }]);
  });

  it('when the credential was issued before the run ended, then the claim is in review and the page gives the hold in plain words', async () => {
    const e = await enrolled(h, w.world, { fee: '30000', credit: '500000' });
    advanceTo(h, new Date(e.startsAt.getTime() + HOUR));
    const credential = await signCredential(credentialPayload(factsFor(w.world, e, h, { validFrom: h.clock.now() })), w.signer);
    const res = await uploadClaim(e.enrolmentId, { amount: '300.00', file: Buffer.from(credential) });
    expect(res.status, res.text).toBe(303);
    const page = await request(h.app).get(res.headers.location!).set('Cookie', desk.cookie);
    expect(page.text).toContain('<strong>In review</strong>');
    expect(page.text).toContain('On hold: the credential was issued before the course run ended');
  });

  it('when the credential is signed for another learner, then the claim is rejected and the page names the failed check', async () => {
    const { e } = await finishedEnrolment();
    const other = await enrolled(h, w.world, { fee: '30000', credit: '500000' });
    const credential = await signCredential(credentialPayload(factsFor(w.world, other, h)), w.signer);
    const res = await uploadClaim(e.enrolmentId, { amount: '300.00', file: Buffer.from(credential) });
    expect(res.status).toBe(303);
    const page = await request(h.app).get(res.headers.location!).set('Cookie', desk.cookie);
    expect(page.text).toContain('<strong>Rejected</strong>');
    expect(page.text).toContain('The credential is for another learner.');
  });

  it.each<[string, { amount: string; file: Buffer | 'valid' | 'none' }, string, string]>([
    ['no credential at all', { amount: '300.00', file: 'none' }, 'credentialFile', 'Choose the credential file or paste the credential.'],
    ['a file that is not a VC-JWT', { amount: '300.00', file: Buffer.from('hello, this is a certificate') }, 'credentialFile', 'The credential is not a signed VC-JWT'],
    ['a file over 64 KB', { amount: '300.00', file: Buffer.alloc(66_000, 'a') }, 'credentialFile', 'The credential file must be 64 KB or smaller.'],
    ['an amount that is not money', { amount: '3OO', file: 'valid' }, 'amount', 'Enter the amount in SGD as a number greater than zero'],
    ['an amount above what is reserved', { amount: '300.01', file: 'valid' }, 'amount', 'The amount must not be more than what is reserved.'],
  ])('when the form carries %s, then 400 names the field, and no claim is made and no money moves', async (_name, fields, field, message) => {
    const { e, credential } = await finishedEnrolment();
    const file = fields.file === 'valid' ? Buffer.from(credential) : fields.file === 'none' ? undefined : fields.file;
    const res = await uploadClaim(e.enrolmentId, { amount: fields.amount, ...(file ? { file } : {}) });
    expect(res.status, res.text.slice(0, 500)).toBe(400);
    expect(res.text).toContain(`<a href="#${field}">${message}`);
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
    expect(await q(`select count(*)::int n from ledger_transfers where reference_id = $1 and kind = 'post_pending'`, [e.enrolmentId])).toEqual([{ n: 0 }]);
  });

  it('when the body is larger than the form takes, then 413 and nothing changes', async () => {
    const { e } = await finishedEnrolment();
    const res = await uploadClaim(e.enrolmentId, { amount: '300.00', file: Buffer.alloc(200_000, 'a') });
    expect(res.status).toBe(413);
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });

  it('when the multipart body is broken, then 400 and no claim', async () => {
    const { e } = await finishedEnrolment();
    const res = await request(h.app).post(`/provider/enrolments/${e.enrolmentId}/claim`).set('Cookie', desk.cookie)
      .set('content-type', 'multipart/form-data; boundary=xyz').send('--xyz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nnever ends');
    expect(res.status).toBe(400);
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });

  it('when script is off and the file input is left empty, then the pasted credential is the claim\'s', async () => {
    const { e, credential } = await finishedEnrolment();
    // As a browser sends it: the empty file input still has its part, with filename="" and no bytes.
    const b = '----WebKitFormBoundaryEmptyFile';
    const part = (name: string, value: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body = part('csrf', desk.csrf) + part('idempotencyKey', randomUUID()) + part('amount', '300.00')
      + `--${b}\r\nContent-Disposition: form-data; name="credentialFile"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n`
      + part('credential', credential) + `--${b}--\r\n`;
    const res = await request(h.app).post(`/provider/enrolments/${e.enrolmentId}/claim`).set('Cookie', desk.cookie)
      .set('content-type', `multipart/form-data; boundary=${b}`).send(body);
    expect(res.status, res.text).toBe(303);
    expect(await claimsOf(e.enrolmentId)).toEqual([expect.objectContaining({ status: 'approved' })]);
  });

  it('when a file comes under a name the form does not take, or a form has too many parts, then 400 and no claim', async () => {
    const { e, credential } = await finishedEnrolment();
    const stray = await request(h.app).post(`/provider/enrolments/${e.enrolmentId}/claim`).set('Cookie', desk.cookie)
      .field('csrf', desk.csrf).field('idempotencyKey', randomUUID()).field('amount', '300.00').attach('somethingElse', Buffer.from(credential), 'credential.jwt');
    expect(stray.status).toBe(400);
    let many = request(h.app).post(`/provider/enrolments/${e.enrolmentId}/claim`).set('Cookie', desk.cookie)
      .field('csrf', desk.csrf).field('idempotencyKey', randomUUID()).field('amount', '300.00');
    for (let i = 0; i < 10; i++) many = many.field(`extra${i}`, 'x');
    expect((await many.attach('credentialFile', Buffer.from(credential), 'credential.jwt')).status).toBe(400);
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });

  it('when a multipart body with no length streams past the limit, then 413 and no claim', async () => {
    const { e } = await finishedEnrolment();
    const server = h.app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({
          port, method: 'POST', path: `/provider/enrolments/${e.enrolmentId}/claim`,
          headers: { cookie: desk.cookie, 'content-type': 'multipart/form-data; boundary=xyz', 'transfer-encoding': 'chunked' },
        }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', (err) => (String(err).includes('EPIPE') || String(err).includes('ECONNRESET') ? undefined : reject(err)));
        req.write(`--xyz\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${desk.csrf}\r\n--xyz\r\nContent-Disposition: form-data; name="credentialFile"; filename="c.jwt"\r\n\r\n`);
        for (let i = 0; i < 20; i++) req.write(Buffer.alloc(10_000, 'a'));
        req.end('\r\n--xyz--\r\n');
      });
      expect(status).toBe(413);
    } finally {
      server.close();
    }
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });

  it('when the multipart form has no CSRF token, then 403 and no claim', async () => {
    const { e, credential } = await finishedEnrolment();
    const res = await request(h.app).post(`/provider/enrolments/${e.enrolmentId}/claim`).set('Cookie', desk.cookie)
      .field('idempotencyKey', randomUUID()).field('amount', '300.00').attach('credentialFile', Buffer.from(credential), 'credential.jwt');
    expect(res.status).toBe(403);
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });

  it('when another provider\'s staff post a claim for this enrolment, then 404 and no claim', async () => {
    const { e, credential } = await finishedEnrolment();
    const other = await catalogue(h);
    const intruder = await sessionFor(h, { role: 'provider', subject: 'oidc:other', providerId: other.providerId });
    const res = await uploadClaim(e.enrolmentId, { amount: '300.00', file: Buffer.from(credential) }, intruder);
    expect(res.status).toBe(404);
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
    expect((await request(h.app).get(`/provider/enrolments/${e.enrolmentId}`).set('Cookie', intruder.cookie)).status).toBe(404);
  });
});

describe('claims, payments, recoveries and deductions', () => {
  it('when a claim is paid and then recovered and netted, then the claims page shows the bank reference and the recoveries page the deduction', async () => {
    const decimal = (minor: string) => (Number(minor) / 100).toFixed(2);
    const paid = await w.approvedClaim('30000');
    const first = await releasedBatch(h, { currency: 'SGD' });
    const line = first.lines.find((l) => l.providerId === w.world.providerId)!;
    expect((await w.statement(csv(...first.lines.filter((l) => l.status === 'pending').map((l) => booked(l.endToEndId, decimal(l.amount), 'DBIT'))))).status).toBe(201);

    const claims = await request(h.app).get('/provider/claims').set('Cookie', desk.cookie);
    expect(claims.text).toContain(`Paid in batch ${first.id}, bank reference ${line.endToEndId}.`);
    const claimPage = await request(h.app).get(`/provider/claims/${paid.claimId}`).set('Cookie', desk.cookie);
    expect(claimPage.text).toContain('<strong>Paid</strong>');

    const reversed = await w.reverse(paid.claimId, 'no_completion', 'the learner never attended');
    expect(reversed.status, reversed.text).toBe(200);
    const recovery = reversed.body.recovery as { reference: string };
    await w.approvedClaim('50000');
    const second = await releasedBatch(h, { currency: 'SGD' });
    const netted = second.lines.find((l) => l.providerId === w.world.providerId)!;

    const page = await request(h.app).get('/provider/recoveries').set('Cookie', desk.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Recovery of $300.00');
    expect(page.text).toContain(recovery.reference);
    expect(page.text).toContain('Reversed: the learner did not complete the course.');
    expect(page.text).toContain(`$300.00 deducted from payment ${netted.endToEndId}`);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when another provider\'s staff open a claim, then 404', async () => {
    const paid = await w.approvedClaim('10000');
    const other = await catalogue(h);
    const intruder = await sessionFor(h, { role: 'provider', subject: 'oidc:other', providerId: other.providerId });
    expect((await request(h.app).get(`/provider/claims/${paid.claimId}`).set('Cookie', intruder.cookie)).status).toBe(404);
    const list = await request(h.app).get('/provider/claims').set('Cookie', intruder.cookie);
    expect(list.text).toContain('You have made no claims yet.');
  });
});
