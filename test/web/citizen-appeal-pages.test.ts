import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/lib/dates.js';
import { sweepGrants } from '../../src/modules/grants/grants.service.js';
import { adminApi } from '../support/fixtures.js';
import { financeAs } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { formFields, postForm, sessionFor } from './web-support.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof adminApi>>;
beforeAll(async () => {
  api = await adminApi(h);
});

const STATEMENT = 'My phone was stolen and I never saw the first-use reminder.';

/** A learner whose Prakerja-style credit lapsed just now, signed in to the pages. */
async function lapsedLearner(windowDays = 30) {
  const scheme = await api.scheme({ name: 'Appeal Test Credit' }, { firstUseDeadlineDays: 15, appealWindowDays: windowDays });
  await api.allocate(scheme.id, '100000');
  const learner = await api.learner();
  const grant = (await api.grant(learner.id, { schemeId: scheme.id, amount: '40000' })).body as { id: string };
  h.clock.advance(16 * DAY_MS);
  await sweepGrants(h.deps);
  const browser = await sessionFor(h, { role: 'citizen', subject: `oidc:${learner.id}`, learnerId: learner.id });
  return { scheme, learner, grant, browser };
}

const appealRows = async (grantId: string) => (await h.database.pool.query(`select status, statement from grant_appeals where grant_id = $1`, [grantId])).rows;

describe('appeals on the citizen portal', () => {
  it('when credit has lapsed, then its card offers an appeal; the form files it once and the credit page shows it waiting', async () => {
    const { grant, browser } = await lapsedLearner();
    const credit = await request(h.app).get('/').set('Cookie', browser.cookie);
    expect(credit.status).toBe(200);
    expect(credit.text).toContain(`href="/grants/${grant.id}/appeal"`);
    expect(credit.text).toContain('You can appeal until');
    expect(credit.text).toContain('You have not appealed');

    const form = await request(h.app).get(`/grants/${grant.id}/appeal`).set('Cookie', browser.cookie);
    expect(form.status).toBe(200);
    expect(form.text).toContain('<textarea id="statement" name="statement"');
    expect(form.text).toMatch(/\$400\.00 of this credit lapsed on/);
    const fields = formFields(form.text, `/grants/${grant.id}/appeal`);
    expect(fields.csrf).toBe(browser.csrf);

    const sent = await postForm(h.app, `/grants/${grant.id}/appeal`, browser.cookie, { ...fields, statement: STATEMENT });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/?appealed=1#appeals');
    // The same form sent again (a double click) files nothing more.
    const again = await postForm(h.app, `/grants/${grant.id}/appeal`, browser.cookie, { ...fields, statement: STATEMENT });
    expect(again.status).toBe(303);
    expect(await appealRows(grant.id)).toEqual([{ status: 'open', statement: STATEMENT }]);

    const after = await request(h.app).get('/?appealed=1').set('Cookie', browser.cookie);
    expect(after.text).toContain('Your appeal has been sent');
    expect(after.text).toContain('Waiting for a decision');
    expect(after.text).not.toContain(`href="/grants/${grant.id}/appeal"`);
  });

  it('when the statement is too short or the CSRF token is missing, then nothing is filed and the field is named', async () => {
    const { grant, browser } = await lapsedLearner();
    const form = await request(h.app).get(`/grants/${grant.id}/appeal`).set('Cookie', browser.cookie);
    const fields = formFields(form.text, `/grants/${grant.id}/appeal`);
    const short = await postForm(h.app, `/grants/${grant.id}/appeal`, browser.cookie, { ...fields, statement: 'please' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('class="error-summary"');
    expect(short.text).toContain('<a href="#statement">Tell us why in 10 to 2,000 characters</a>');
    expect(short.text).toContain('aria-invalid="true"');
    const noCsrf = await postForm(h.app, `/grants/${grant.id}/appeal`, browser.cookie, { idempotencyKey: randomUUID(), statement: STATEMENT });
    expect(noCsrf.status).toBe(403);
    expect(await appealRows(grant.id)).toEqual([]);
  });

  it('when the window has closed or the grant is someone else\'s, then there is no form', async () => {
    const closed = await lapsedLearner(1);
    h.clock.advance(2 * DAY_MS);
    expect((await request(h.app).get('/').set('Cookie', closed.browser.cookie)).text).not.toContain('/appeal"');
    expect((await request(h.app).get(`/grants/${closed.grant.id}/appeal`).set('Cookie', closed.browser.cookie)).status).toBe(404);
    const other = await lapsedLearner();
    expect((await request(h.app).get(`/grants/${other.grant.id}/appeal`).set('Cookie', closed.browser.cookie)).status).toBe(404);
    const fields = { csrf: closed.browser.csrf, idempotencyKey: randomUUID(), statement: STATEMENT };
    expect((await postForm(h.app, `/grants/${other.grant.id}/appeal`, closed.browser.cookie, fields)).status).toBe(404);
    expect(await appealRows(other.grant.id)).toEqual([]);
  });

  it('when two officers reinstate the appeal, then the credit page shows the outcome and the history says reinstated after appeal, in Malay too', async () => {
    const { learner, grant, browser } = await lapsedLearner();
    const token = await h.token('citizen', { learnerId: learner.id });
    const filed = await request(h.app).post(`/v1/learners/me/grants/${grant.id}/appeals`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send({ statement: STATEMENT });
    const proposed = await financeAs(h, 'page-officer-1').post(`/v1/appeals/${filed.body.id}/reinstatement`, { amount: '25000', reasonCode: 'notice_not_received', note: 'Police report seen.' });
    expect((await financeAs(h, 'page-officer-2').post(`/v1/approvals/${proposed.body.approval.id}/approve`, {})).status).toBe(200);

    const credit = await request(h.app).get('/').set('Cookie', browser.cookie);
    expect(credit.text).toContain('Reinstated after appeal');
    expect(credit.text).toMatch(/\$250\.00 given back to you as new credit on/);
    const history = await request(h.app).get('/history').set('Cookie', browser.cookie);
    expect(history.text).toContain('Appeal Test Credit credit reinstated after appeal');
    const malay = await request(h.app).get('/history?lang=ms').set('Cookie', browser.cookie);
    expect(malay.text).toContain('Kredit Appeal Test Credit dikembalikan selepas rayuan');
  });

  it('when an officer rejects the appeal, then the learner reads why', async () => {
    const { learner, grant, browser } = await lapsedLearner();
    const token = await h.token('citizen', { learnerId: learner.id });
    const filed = await request(h.app).post(`/v1/learners/me/grants/${grant.id}/appeals`).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send({ statement: STATEMENT });
    expect((await financeAs(h, 'page-officer-3').post(`/v1/appeals/${filed.body.id}/rejection`, { reasonCode: 'notice_was_given', note: 'Reminders delivered.' })).status).toBe(200);
    const credit = await request(h.app).get('/').set('Cookie', browser.cookie);
    expect(credit.text).toContain('Not reinstated');
    expect(credit.text).toContain('not reinstated, because you were told about the deadline in time.');
    expect(credit.text).not.toContain('Reminders delivered');
  });
});
