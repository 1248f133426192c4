import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { nextNric } from '../support/ids.js';
import { postForm, sessionFor } from './web-support.js';

const h = useHarness();
let world: Awaited<ReturnType<typeof catalogue>>;
beforeAll(async () => {
  world = await catalogue(h);
});

const officer = (sub = 'oidc:counter-1') => sessionFor(h, { role: 'counter', subject: sub });

async function learnerWaiting(fee = '20000') {
  const nationalId = nextNric();
  const learner = await world.learnerWithCredit('50000', { nationalId, fullName: 'Siti binte Rahman' });
  const runId = await world.run(fee);
  const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
  expect(requested.status).toBe(201);
  return { ...learner, nationalId, enrolmentId: requested.body.id as string };
}

/** The hidden fields of the form that posts to `action`, as the page rendered them. */
function hiddenFields(page: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}" novalidate>([\\s\\S]*?)</form>`).exec(page)?.[1];
  if (!form) throw new Error(`no form for ${action}`);
  return Object.fromEntries([...form.matchAll(/type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

async function openVisit(browser: { cookie: string; csrf: string }, nationalId: string) {
  const form = await request(h.app).get('/counter').set('Cookie', browser.cookie);
  const res = await postForm(h.app, '/counter/visits', browser.cookie, {
    ...hiddenFields(form.text, '/counter/visits'), country: 'SG', nationalId, reason: 'learner asked to answer a request', learnerPresent: 'yes', identityCheck: 'nric_card',
  });
  expect(res.status, res.text).toBe(303);
  expect(res.headers.location).toMatch(/^\/counter\/visits\/[0-9a-f-]{36}$/);
  return res.headers.location as string;
}

const status = async (id: string) => (await h.database.pool.query('select status from enrolments where id = $1', [id])).rows[0].status as string;

describe('GET /counter and POST /counter/visits (find the learner)', () => {
  it('when an officer opens the counter, then the form asks for the card\'s country, the national id, a reason, the presence box and the identity check', async () => {
    const browser = await officer();
    const res = await request(h.app).get('/counter').set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Find the learner at the counter</h1>');
    for (const name of ['country', 'nationalId', 'reason', 'learnerPresent', 'identityCheck', 'csrf', 'idempotencyKey']) expect(res.text).toContain(`name="${name}"`);
    expect(res.text).toContain('href="/counter" aria-current="page"');
  });

  it('when the form is sent empty, then 422 with an error summary linking to each field and the fields marked, and nothing is recorded', async () => {
    const browser = await officer();
    const form = await request(h.app).get('/counter').set('Cookie', browser.cookie);
    const before = (await h.database.pool.query('select count(*)::int n from counter_acts')).rows[0].n;
    const res = await postForm(h.app, '/counter/visits', browser.cookie, { ...hiddenFields(form.text, '/counter/visits'), country: 'SG' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('<title>Error: Find the learner at the counter – Learning Credits</title>');
    expect(res.text).toContain('class="error-summary" role="alert"');
    for (const [href, message] of [
      ['#nationalId', 'Enter the national id number exactly as it is on the card'], ['#reason', 'Say why you are looking the learner up'],
      ['#present', 'Tick the box to confirm that the learner is here and agrees'], ['#idcheck', 'Choose how you checked the learner&#39;s identity'],
    ]) expect(res.text).toMatch(new RegExp(`<a href="${href}">${message}`));
    expect(res.text).toContain('id="nationalId" name="nationalId" autocomplete="off" spellcheck="false" maxlength="32" aria-describedby="nationalId-hint nationalId-error" aria-invalid="true"');
    expect((await h.database.pool.query('select count(*)::int n from counter_acts')).rows[0].n).toBe(before);
  });

  it('when the national id names nobody, then the page says so at the field and never shows the number back', async () => {
    const browser = await officer();
    const form = await request(h.app).get('/counter').set('Cookie', browser.cookie);
    const nobody = nextNric();
    const res = await postForm(h.app, '/counter/visits', browser.cookie, {
      ...hiddenFields(form.text, '/counter/visits'), country: 'SG', nationalId: nobody, reason: 'learner asked at the counter', learnerPresent: 'yes', identityCheck: 'passport',
    });
    expect(res.status).toBe(404);
    expect(res.text).toContain('No learner is registered with this national id number.');
    expect(res.text).not.toContain(nobody);
    // What the officer typed besides the number stays.
    expect(res.text).toContain('value="learner asked at the counter"');
    expect(res.text).toMatch(/value="passport" checked/);
  });

  it('when the lookup form is sent twice with its key, then one visit is opened and both land on it', async () => {
    const l = await learnerWaiting();
    const browser = await officer();
    const form = await request(h.app).get('/counter').set('Cookie', browser.cookie);
    const fields = { ...hiddenFields(form.text, '/counter/visits'), country: 'SG', nationalId: l.nationalId, reason: 'at the counter', learnerPresent: 'yes', identityCheck: 'nric_card' };
    const a = await postForm(h.app, '/counter/visits', browser.cookie, fields);
    const b = await postForm(h.app, '/counter/visits', browser.cookie, fields);
    expect(a.status).toBe(303);
    expect(b.headers.location).toBe(a.headers.location);
    expect((await h.database.pool.query(`select count(*)::int n from counter_acts where learner_id = $1`, [l.id])).rows[0].n).toBe(1);
  });
});

describe('GET /counter/visits/:visitId and answering for the learner', () => {
  it('when the officer opens the visit, then it shows the learner\'s name, masked id, credit and the request with the attestation and both answers', async () => {
    const l = await learnerWaiting();
    const browser = await officer();
    const visit = await openVisit(browser, l.nationalId);
    const res = await request(h.app).get(visit).set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Acting for Siti binte Rahman</h1>');
    expect(res.text).not.toContain(l.nationalId);
    expect(res.text).toContain('They can spend $500.00');
    expect(res.text).toContain('Waiting for the learner&#39;s answer');
    expect(res.text).toContain(`action="${visit}/enrolments/${l.enrolmentId}"`);
    expect(res.text).toContain('The learner is here with me, and agrees to what I do for them');
    expect(res.text).toContain('name="answer" value="consent"');
    expect(res.text).toContain('name="answer" value="decline"');
  });

  it('when Approve is sent without the box or the identity check, then it redirects to the page naming both fields, and nothing is reserved', async () => {
    const l = await learnerWaiting();
    const browser = await officer();
    const visit = await openVisit(browser, l.nationalId);
    const page = await request(h.app).get(visit).set('Cookie', browser.cookie);
    const action = `${visit}/enrolments/${l.enrolmentId}`;
    const res = await postForm(h.app, action, browser.cookie, { ...hiddenFields(page.text, action), answer: 'consent' });
    expect(res.status).toBe(303);
    const shown = await request(h.app).get(res.headers.location!.split('#')[0]!).set('Cookie', browser.cookie);
    expect(shown.text).toContain('class="error-summary"');
    expect(shown.text).toContain(`<a href="#e${l.enrolmentId}-present">Tick the box to confirm that the learner is here and agrees</a>`);
    expect(shown.text).toContain(`<a href="#e${l.enrolmentId}-idcheck">Choose how you checked the learner&#39;s identity</a>`);
    expect(shown.text).toContain(`id="e${l.enrolmentId}-present-error"`);
    expect(await status(l.enrolmentId)).toBe('requested');

    const onlyBox = await postForm(h.app, action, browser.cookie, { ...hiddenFields(page.text, action), answer: 'consent', learnerPresent: 'yes' });
    expect(onlyBox.headers.location).toContain('missing=identityCheck');
    expect(await status(l.enrolmentId)).toBe('requested');
  });

  it('when Approve is sent with the attestation, then credit is reserved, the page says so, and the learner\'s own history names the counter officer', async () => {
    const l = await learnerWaiting('20000');
    const browser = await officer('oidc:counter-2');
    const visit = await openVisit(browser, l.nationalId);
    const page = await request(h.app).get(visit).set('Cookie', browser.cookie);
    const action = `${visit}/enrolments/${l.enrolmentId}`;
    const fields = { ...hiddenFields(page.text, action), answer: 'consent', learnerPresent: 'yes', identityCheck: 'nric_card' };
    const res = await postForm(h.app, action, browser.cookie, fields);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${visit}?done=approved&amount=20000&currency=SGD`);
    // The same form again (a double click) is the same answer, not a second reservation.
    expect((await postForm(h.app, action, browser.cookie, fields)).headers.location).toBe(res.headers.location);
    expect(await status(l.enrolmentId)).toBe('reserved');
    const after = await request(h.app).get(res.headers.location!).set('Cookie', browser.cookie);
    expect(after.text).toContain('The learner approved the enrolment. $200.00 of their credit is reserved for it.');
    expect(after.text).toContain('Agreed at a service counter with officer oidc:counter-2');
    const audit = await h.database.pool.query(`select actor_id, actor_role from audit_events where entity_id = $1 and action = 'enrolment.consented'`, [l.enrolmentId]);
    expect(audit.rows).toEqual([{ actor_id: 'oidc:counter-2', actor_role: 'counter' }]);
    const learnerBrowser = await sessionFor(h, { role: 'citizen', subject: 'oidc:l', learnerId: l.id });
    const history = await request(h.app).get('/history').set('Cookie', learnerBrowser.cookie);
    expect(history.text).toContain('Agreed at a service counter with officer oidc:counter-2');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when Decline is sent with the attestation, then the request is declined and nothing is reserved', async () => {
    const l = await learnerWaiting();
    const browser = await officer();
    const visit = await openVisit(browser, l.nationalId);
    const page = await request(h.app).get(visit).set('Cookie', browser.cookie);
    const action = `${visit}/enrolments/${l.enrolmentId}`;
    const res = await postForm(h.app, action, browser.cookie, { ...hiddenFields(page.text, action), answer: 'decline', learnerPresent: 'yes', identityCheck: 'passport' });
    expect(res.headers.location).toBe(`${visit}?done=declined`);
    expect(await status(l.enrolmentId)).toBe('declined');
  });

  it('when another officer opens the visit, or it has ended, then the page says so and offers a new look-up', async () => {
    const l = await learnerWaiting();
    const visit = await openVisit(await officer('oidc:counter-a'), l.nationalId);
    const other = await request(h.app).get(visit).set('Cookie', (await officer('oidc:counter-b')).cookie);
    expect(other.status).toBe(404);
    expect(other.text).toContain('This visit is not one of yours');
    h.clock.advance(31 * 60_000);
    try {
      const ended = await request(h.app).get(visit).set('Cookie', (await officer('oidc:counter-a')).cookie);
      expect(ended.status).toBe(409);
      expect(ended.text).toContain('This visit has ended');
      expect(ended.text).toContain('href="/counter"');
    } finally {
      h.clock.advance(-31 * 60_000);
    }
  });

  it('when a citizen opens the counter pages, then 403', async () => {
    const l = await learnerWaiting();
    const citizen = await sessionFor(h, { role: 'citizen', subject: 'oidc:c', learnerId: l.id });
    expect((await request(h.app).get('/counter').set('Cookie', citizen.cookie)).status).toBe(403);
    expect((await postForm(h.app, '/counter/visits', citizen.cookie, { csrf: citizen.csrf, nationalId: l.nationalId })).status).toBe(403);
  });

  it.each(['ms', 'id', 'zh-Hans', 'ta'])('when the officer reads the counter in %s, then the page is in that language', async (lang) => {
    const browser = await officer();
    const res = await request(h.app).get(`/counter?lang=${lang}`).set('Cookie', browser.cookie);
    expect(res.text).toContain(`<html lang="${lang}">`);
    expect(res.text).not.toContain('Find the learner at the counter');
  });
});

describe('GET /counter/visits/:visitId/courses and /runs/:runId (a course-run eligibility check for the learner)', () => {
  const money = (minor: string) => `$${(Number(minor) / 100).toFixed(2)}`;
  const enrolmentCount = async (learnerId: string) =>
    (await h.database.pool.query('select count(*)::int n from enrolments where learner_id = $1', [learnerId])).rows[0].n as number;

  it('when the officer searches a course and checks a run, then the page says yes with the fee, the credit\'s share and the co-payment the service computes, and nothing is booked', async () => {
    const l = await learnerWaiting();
    // The soonest run of the course, so the search lists it among the next three.
    const runId = await world.run('30000', { startsInDays: 2 });
    const browser = await officer();
    const visit = await openVisit(browser, l.nationalId);
    const page = await request(h.app).get(visit).set('Cookie', browser.cookie);
    expect(page.text).toContain('<h2>Check a course for the learner</h2>');
    expect(page.text).toContain(`action="${visit}/courses"`);

    const found = await request(h.app).get(`${visit}/courses?q=Data+Analytics`).set('Cookie', browser.cookie);
    expect(found.status).toBe(200);
    expect(found.text).toContain('<h1>Courses to check for Siti binte Rahman</h1>');
    expect(found.text).toContain('value="Data Analytics"');
    expect(found.text).toContain(`href="${visit}/runs/${runId}"`);
    expect(found.text).toMatch(/>Check their funding<span class="visually-hidden"> – Data Analytics Fundamentals, starting [^<]+<\/span><\/a>/);

    const before = await enrolmentCount(l.id);
    const res = await request(h.app).get(`${visit}/runs/${runId}`).set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Can the credit of Siti binte Rahman pay for this course?</h1>');
    expect(res.text).toContain('Yes. Their credit can pay for this course.');
    // The numbers are the eligibility service's, as the learner's own check gives them.
    const own = await request(h.app).get(`/v1/me/eligibility?courseRunId=${runId}`).set('authorization', `Bearer ${l.token}`);
    expect(own.status).toBe(200);
    const plan = own.body.plan as { fee: string; funded: string; coPay: string };
    expect(res.text).toContain(`<dt>Course fee</dt><dd>${money(plan.fee)}</dd>`);
    expect(res.text).toContain(`<dt>Paid from their credit</dt><dd>${money(plan.funded)}</dd>`);
    expect(res.text).toContain(`<dt>The learner pays themselves</dt><dd>${money(plan.coPay)}</dd>`);
    expect(res.text).toContain(`href="${visit}"`);
    expect(await enrolmentCount(l.id)).toBe(before);
  });

  it('when the learner cannot use credit for the run, then the page says no and gives each reason in plain words', async () => {
    const nationalId = nextNric();
    const learner = await world.learnerWithCredit('0', { nationalId, fullName: 'Tan Wei Ming' });
    const runId = await world.run('20000');
    const browser = await officer();
    const visit = await openVisit(browser, nationalId);
    const res = await request(h.app).get(`${visit}/runs/${runId}`).set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('No. Their credit cannot pay for this course.');
    expect(res.text).toContain('<h2>Why</h2>');
    expect(res.text).toContain('<li>You hold no credit from a scheme that funds this course.</li>');
    expect(res.text).toContain(`<dt>The learner pays themselves</dt><dd>${money('20000')}</dd>`);
    expect(await enrolmentCount(learner.id)).toBe(0);
  });

  it('when the run id is not an id or names no run, or the visit is another officer\'s, then 404 and no 500', async () => {
    const l = await learnerWaiting();
    const runId = await world.run('20000');
    const browser = await officer('oidc:counter-a');
    const visit = await openVisit(browser, l.nationalId);
    const bad = await request(h.app).get(`${visit}/runs/not-a-run`).set('Cookie', browser.cookie);
    expect(bad.status).toBe(404);
    const none = await request(h.app).get(`${visit}/runs/${randomUUID()}`).set('Cookie', browser.cookie);
    expect(none.status).toBe(404);
    const other = await officer('oidc:counter-b');
    expect((await request(h.app).get(`${visit}/runs/${runId}`).set('Cookie', other.cookie)).status).toBe(404);
    expect((await request(h.app).get(`${visit}/courses`).set('Cookie', other.cookie)).status).toBe(404);
  });

  it.each(['ms', 'id', 'zh-Hans', 'ta'])('when the officer reads the check in %s, then it is in that language', async (lang) => {
    const l = await learnerWaiting();
    const runId = await world.run('20000');
    const browser = await officer();
    const visit = await openVisit(browser, l.nationalId);
    const res = await request(h.app).get(`${visit}/runs/${runId}?lang=${lang}`).set('Cookie', browser.cookie);
    expect(res.text).toContain(`<html lang="${lang}">`);
    expect(res.text).not.toContain('Their credit can pay for this course');
  });
});
