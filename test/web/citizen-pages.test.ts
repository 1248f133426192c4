import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { postForm, sessionFor } from './web-support.js';

const h = useHarness();
let world: Awaited<ReturnType<typeof catalogue>>;

beforeAll(async () => {
  world = await catalogue(h);
});

/** A learner with credit, signed in to the pages, with a provider's request waiting for their consent. */
async function citizenWithRequest(fee = '20000', credit = '50000') {
  const learner = await world.learnerWithCredit(credit);
  const browser = await sessionFor(h, { role: 'citizen', subject: `oidc:${learner.id}`, learnerId: learner.id });
  const runId = await world.run(fee);
  const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
  expect(requested.status).toBe(201);
  return { learner, browser, runId, enrolmentId: requested.body.id as string };
}

/** The hidden fields of the form that posts to `action`, as the page rendered them. */
function formFields(page: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}">([\\s\\S]*?)</form>`).exec(page)?.[1];
  if (!form) throw new Error(`no form for ${action}`);
  return Object.fromEntries([...form.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

const enrolmentStatus = async (id: string) =>
  (await h.database.pool.query<{ status: string }>('select status from enrolments where id = $1', [id])).rows[0]?.status;
const pendingOf = async (id: string) =>
  (await h.database.pool.query<{ s: string }>(`select coalesce(sum(amount), 0)::text s from ledger_transfers where reference_id = $1 and state = 'pending'`, [id])).rows[0]!.s;

describe('GET / (the citizen portal)', () => {
  it('when a citizen is signed in, then / shows the credit per grant with what is available and reserved', async () => {
    const { browser } = await citizenWithRequest();
    const res = await request(h.app).get('/').set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>My credit</h1>');
    expect(res.text).toContain('You can spend $500.00');
    expect(res.text).toContain('A training provider is waiting for your answer.');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('when a grant has a first-use deadline, then the page says to use it by that day or it lapses, and the API account carries it', async () => {
    const prakerja = await catalogue(h, { rules: { firstUseDeadlineDays: 15 } });
    const learner = await prakerja.learnerWithCredit('50000');
    const browser = await sessionFor(h, { role: 'citizen', subject: 'oidc:x', learnerId: learner.id });
    const deadline = new Date(h.clock.now().getTime() + 15 * 86_400_000);
    const api = await request(h.app).get('/v1/me/account').set('authorization', `Bearer ${learner.token}`);
    expect(new Date(api.body.grants[0].firstUseDeadline).getTime()).toBe(deadline.getTime());
    const res = await request(h.app).get('/').set('Cookie', browser.cookie);
    const day = new Intl.DateTimeFormat('en-SG', { dateStyle: 'long', timeZone: 'Asia/Singapore' }).format(deadline);
    expect(res.text).toContain(`Use by ${day} or it lapses`);
  });

  it('when nobody is signed in, then a citizen page redirects to sign-in with the way back', async () => {
    const res = await request(h.app).get('/enrolments');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/sign-in?returnTo=%2Fenrolments');
  });

  it('when the session cookie is tampered with, then the person is not signed in', async () => {
    const { browser } = await citizenWithRequest();
    const forged = browser.cookie.slice(0, -4) + 'AAAA';
    const res = await request(h.app).get('/history').set('Cookie', forged);
    expect(res.status).toBe(302);
  });

  it('when a finance officer opens a citizen page, then 403 and no citizen data', async () => {
    const browser = await sessionFor(h, { role: 'finance', subject: 'oidc:f1' });
    const res = await request(h.app).get('/history').set('Cookie', browser.cookie);
    expect(res.status).toBe(403);
    expect(res.text).toContain('You cannot use this page.');
  });
});

describe('POST /enrolments/{id}/consent and /decline', () => {
  it('when the citizen approves with the form, then the credit is reserved, the page redirects after the post, and the history shows the reservation', async () => {
    const { browser, enrolmentId } = await citizenWithRequest('20000');
    const page = (await request(h.app).get('/enrolments').set('Cookie', browser.cookie)).text;
    const fields = formFields(page, `/enrolments/${enrolmentId}/consent`);
    expect(fields.csrf).toBe(browser.csrf);
    const res = await postForm(h.app, `/enrolments/${enrolmentId}/consent`, browser.cookie, fields);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/enrolments?done=approved&amount=20000&currency=SGD');
    expect(await enrolmentStatus(enrolmentId)).toBe('reserved');
    expect(await pendingOf(enrolmentId)).toBe('20000');
    const after = await request(h.app).get(res.headers.location!).set('Cookie', browser.cookie);
    expect(after.text).toContain('You approved the enrolment. $200.00 of your credit is reserved for it.');
    const history = await request(h.app).get('/history').set('Cookie', browser.cookie);
    expect(history.text).toMatch(/<span class="tag minus">Reserved<\/span> Reserved for Data Analytics Fundamentals<\/td>\s*<td class="amount">−\$200\.00/);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when the same form is sent twice (a double click, a reload), then it is one reservation and both answers are the same', async () => {
    const { browser, enrolmentId } = await citizenWithRequest('15000');
    const page = (await request(h.app).get('/enrolments').set('Cookie', browser.cookie)).text;
    const fields = formFields(page, `/enrolments/${enrolmentId}/consent`);
    const [a, b] = await Promise.all([
      postForm(h.app, `/enrolments/${enrolmentId}/consent`, browser.cookie, fields),
      postForm(h.app, `/enrolments/${enrolmentId}/consent`, browser.cookie, fields),
    ]);
    const c = await postForm(h.app, `/enrolments/${enrolmentId}/consent`, browser.cookie, fields);
    const answers = [a, b, c].map((r) => r.headers.location);
    // A duplicate that arrives while the first is still running is told to retry (idempotency_key_in_use), as the API does.
    expect(answers.filter((l) => l === '/enrolments?done=approved&amount=15000&currency=SGD').length).toBeGreaterThanOrEqual(2);
    expect(c.headers.location).toBe('/enrolments?done=approved&amount=15000&currency=SGD');
    expect(await pendingOf(enrolmentId)).toBe('15000');
    const transfers = await h.database.pool.query(`select count(*)::int n from ledger_transfers where reference_id = $1 and kind = 'pending'`, [enrolmentId]);
    expect(transfers.rows[0].n).toBe(1);
  });

  it('when a form comes without the CSRF token, or with another session\'s, then 403 and nothing changes', async () => {
    const { browser, enrolmentId } = await citizenWithRequest();
    const other = await sessionFor(h, { role: 'citizen', subject: 'oidc:other', learnerId: randomUUID() });
    for (const csrf of [undefined, '', other.csrf, `${browser.csrf}x`]) {
      const fields: Record<string, string> = { idempotencyKey: randomUUID(), ...(csrf === undefined ? {} : { csrf }) };
      const res = await postForm(h.app, `/enrolments/${enrolmentId}/consent`, browser.cookie, fields);
      expect(res.status).toBe(403);
      expect(res.text).toContain('This form has expired');
    }
    const noSession = await postForm(h.app, `/enrolments/${enrolmentId}/consent`, '', { csrf: browser.csrf, idempotencyKey: randomUUID() });
    expect(noSession.status).toBe(403);
    expect(await enrolmentStatus(enrolmentId)).toBe('requested');
    expect(await pendingOf(enrolmentId)).toBe('0');
  });

  it('when the citizen declines, then nothing is reserved and the request is declined', async () => {
    const { browser, enrolmentId } = await citizenWithRequest();
    const page = (await request(h.app).get('/enrolments').set('Cookie', browser.cookie)).text;
    const res = await postForm(h.app, `/enrolments/${enrolmentId}/decline`, browser.cookie, formFields(page, `/enrolments/${enrolmentId}/decline`));
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/enrolments?done=declined');
    expect(await enrolmentStatus(enrolmentId)).toBe('declined');
    expect(await pendingOf(enrolmentId)).toBe('0');
  });

  it('when the credit is not enough, then the consent is refused with the reason in plain words and nothing is reserved', async () => {
    const { browser, enrolmentId } = await citizenWithRequest('20000', '50000');
    // The credit goes elsewhere between the request and the consent.
    const elsewhere = await world.run('50000');
    const rows = await h.database.pool.query<{ learner_id: string }>('select learner_id from enrolments where id = $1', [enrolmentId]);
    const token = await h.token('citizen', { learnerId: rows.rows[0]!.learner_id });
    const self = await request(h.app).post('/v1/me/enrolments').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send({ courseRunId: elsewhere });
    expect(self.status).toBe(201);
    const page = (await request(h.app).get('/enrolments').set('Cookie', browser.cookie)).text;
    const res = await postForm(h.app, `/enrolments/${enrolmentId}/consent`, browser.cookie, formFields(page, `/enrolments/${enrolmentId}/consent`));
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/enrolments\?refused=/);
    const after = await request(h.app).get(res.headers.location!).set('Cookie', browser.cookie);
    expect(after.text).toContain('That could not be done: You do not have enough credit left.');
    expect(await enrolmentStatus(enrolmentId)).toBe('requested');
    expect(await pendingOf(enrolmentId)).toBe('0');
  });

  it('when the enrolment id is not an id, or another learner\'s, then nothing changes and the page says so', async () => {
    const { browser } = await citizenWithRequest();
    const theirs = await citizenWithRequest();
    const bad = await postForm(h.app, '/enrolments/not-an-id/consent', browser.cookie, { csrf: browser.csrf, idempotencyKey: randomUUID() });
    expect(bad.status).toBe(303);
    const other = await postForm(h.app, `/enrolments/${theirs.enrolmentId}/consent`, browser.cookie, { csrf: browser.csrf, idempotencyKey: randomUUID() });
    expect(other.status).toBe(303);
    expect(other.headers.location).toMatch(/refused=not_found/);
    expect(await enrolmentStatus(theirs.enrolmentId)).toBe('requested');
  });
});

describe('course search and eligibility', () => {
  it('when the citizen searches and checks a run, then the page says whether the credit pays, the co-payment, and each reason', async () => {
    // A course of its own, with one run: SGD 300.00 against SGD 100.00 of credit.
    const own = await catalogue(h);
    const runId = await own.run('30000');
    const learner = await own.learnerWithCredit('10000');
    const browser = await sessionFor(h, { role: 'citizen', subject: 'oidc:s', learnerId: learner.id });
    const search = await request(h.app).get('/courses?q=Analytics').set('Cookie', browser.cookie);
    expect(search.status).toBe(200);
    expect(search.text).toContain(`href="/courses/runs/${runId}"`);
    const check = await request(h.app).get(`/courses/runs/${runId}`).set('Cookie', browser.cookie);
    expect(check.status).toBe(200);
    const api = await request(h.app).get(`/v1/me/eligibility?courseRunId=${runId}`).set('authorization', `Bearer ${learner.token}`);
    expect(api.body.plan).toMatchObject({ fee: '30000', funded: '10000', coPay: '20000' });
    expect(check.text).toContain(api.body.eligible ? 'Yes. Your credit can pay for this course.' : 'No. Your credit cannot pay for this course.');
    expect(check.text).toContain('<dt>Paid from your credit</dt><dd>$100.00</dd>');
    expect(check.text).toContain('<dt>You pay yourself</dt><dd>$200.00</dd>');
  });

  it('when a rule fails, then the page names the reason in plain words', async () => {
    const own = await catalogue(h);
    const runId = await own.run('30000');
    const learner = await own.learnerWithCredit('0');
    const browser = await sessionFor(h, { role: 'citizen', subject: 'oidc:n', learnerId: learner.id });
    const check = await request(h.app).get(`/courses/runs/${runId}?lang=ms`).set('Cookie', browser.cookie);
    expect(check.text).toContain('Tidak. Kredit anda tidak boleh membayar kursus ini.');
    expect(check.text).toContain('<li>Anda tidak mempunyai kredit daripada skim yang membiayai kursus ini.</li>');
  });

  it('when the run id is not an id, then 404 in words', async () => {
    const { browser } = await citizenWithRequest();
    const res = await request(h.app).get('/courses/runs/x').set('Cookie', browser.cookie);
    expect(res.status).toBe(404);
    expect(res.text).toContain('Page not found.');
  });
});

describe('languages', () => {
  it.each([
    ['?lang=ms', {}, 'Kredit saya', 'ms'],
    ['?lang=zh-Hans', {}, '我的积分', 'zh-Hans'],
    ['', { 'Accept-Language': 'id-ID,id;q=0.9,en;q=0.5' }, 'Kredit saya', 'id'],
    ['', { 'Accept-Language': 'ta-SG' }, 'என் வரவு', 'ta'],
    ['', { 'Accept-Language': 'fr-FR' }, 'My credit', 'en'],
  ])('when the page is asked for with %s %o, then it is in that language and says so in lang', async (query, headers, heading, lang) => {
    const { browser } = await citizenWithRequest();
    const res = await request(h.app).get(`/${query}`).set('Cookie', browser.cookie).set(headers);
    expect(res.text).toContain(`<html lang="${lang}">`);
    expect(res.text).toContain(`<h1>${heading}</h1>`);
    if (query) expect(String(res.headers['set-cookie'])).toContain(`lc_lang=${encodeURIComponent(lang)}`);
  });

  it('when the language cookie says ms, then later pages stay in ms without ?lang', async () => {
    const { browser } = await citizenWithRequest();
    const res = await request(h.app).get('/history').set('Cookie', `${browser.cookie}; lc_lang=ms`);
    expect(res.text).toContain('<h1>Sejarah</h1>');
  });
});
