import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import ms from '../../src/web/messages/ms.js';
import { useHarness } from '../support/harness.js';
import { recoveryWorld } from '../recoveries/recovery-world.js';
import { postForm, sessionFor } from './web-support.js';

const h = useHarness();
let w: Awaited<ReturnType<typeof recoveryWorld>>;
beforeAll(async () => {
  w = await recoveryWorld(h);
});

const count = async (sql: string, values: unknown[] = []) => Number((await h.database.pool.query<{ n: string }>(sql, values)).rows[0]!.n);

describe('GET / for staff (their home)', () => {
  it('when provider staff request an enrolment, then their home counts one more waiting for consent, and links to their pages', async () => {
    const desk = await sessionFor(h, { role: 'provider', subject: 'oidc:home-desk', providerId: w.world.providerId });
    const before = await request(h.app).get('/').set('Cookie', desk.cookie);
    const waitingBefore = await count("select count(*) as n from enrolments e join course_runs r on r.id = e.course_run_id join courses c on c.id = r.course_id where c.provider_id = $1 and e.status = 'requested'", [w.world.providerId]);
    expect(before.text).toContain(`Enrolments waiting for the learner&#39;s consent: ${waitingBefore}`);
    const runId = await w.world.run('30000');
    const learner = await w.world.learnerWithCredit('50000');
    const posted = await postForm(h.app, `/provider/runs/${runId}/enrolments`, desk.cookie, { csrf: desk.csrf, idempotencyKey: randomUUID(), learnerId: learner.id });
    expect(posted.status).toBe(303);
    const after = await request(h.app).get('/').set('Cookie', desk.cookie);
    expect(after.status).toBe(200);
    expect(after.text).toContain(`<a href="/provider">Enrolments waiting for the learner&#39;s consent: ${waitingBefore + 1}</a>`);
    expect(after.text).toMatch(/<a href="\/provider\/claims">Your claims in review: \d+<\/a>/);
    expect(after.text).toContain('<li><a href="/provider/recoveries">Recoveries</a></li>');
  });

  it('when a finance officer lands on /, then the claims in review and the batches awaiting a second officer are counted, in their language', async () => {
    const officer = await sessionFor(h, { role: 'finance', subject: 'oidc:home-fin' });
    const inReview = await count("select count(*) as n from claims where status = 'in_review'");
    const batches = await count("select count(*) as n from approvals where status = 'pending' and kind = 'disbursement_batch.release'");
    const res = await request(h.app).get('/').set('Cookie', officer.cookie).set('Accept-Language', 'ms');
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<a href="/finance/review">${ms['home.finance.inReview'].replace('{{count}}', String(inReview))}</a>`);
    expect(res.text).toContain(`<a href="/finance/batches">${ms['home.finance.batchesWaiting'].replace('{{count}}', String(batches))}</a>`);
  });

  it('when a counter officer, an admin or an analyst lands on /, then the counter sees the search link and the others the API docs that apply', async () => {
    const counter = await sessionFor(h, { role: 'counter', subject: 'oidc:home-counter' });
    expect((await request(h.app).get('/').set('Cookie', counter.cookie)).text).toContain('<a class="button" href="/counter">Find a learner to help</a>');
    const admin = await sessionFor(h, { role: 'admin', subject: 'oidc:home-admin' });
    const adminHome = await request(h.app).get('/').set('Cookie', admin.cookie);
    expect(adminHome.text).toContain('Its documentation lists the admin routes.');
    expect(adminHome.text).toContain('<a href="/docs">');
    const analyst = await sessionFor(h, { role: 'analyst', subject: 'oidc:home-analyst' });
    expect((await request(h.app).get('/').set('Cookie', analyst.cookie)).text).toContain('Its documentation lists the analyst routes.');
  });
});
