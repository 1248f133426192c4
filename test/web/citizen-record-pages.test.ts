import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { asCitizen } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { complete, decodeJwt, pathwayWorld, twoOfThreeWithin12 } from '../pathways/pathway-fixtures.js';
import { formFields, postForm, sessionFor } from './web-support.js';

const h = useHarness();
const pw = perFile(() => pathwayWorld(h), async () => {});
let admin: string;
beforeAll(async () => {
  admin = await h.token('admin');
});

/** A learner with one approved claim (so one kept credential), signed in to the pages. */
async function learnerWithCredential() {
  const learner = await pw.world.learnerWithCredit('100000');
  await complete(h, pw, pw.courses[0]!, learner);
  const browser = await sessionFor(h, { role: 'citizen', subject: `oidc:${learner.id}`, learnerId: learner.id });
  const api = await asCitizen(h, learner.token).get('/v1/me/credentials');
  expect(api.body.items).toHaveLength(1);
  return { learner, browser, credential: api.body.items[0] as { id: string; achievementName: string } };
}

const shareRows = async (learnerId: string) =>
  (await h.database.pool.query(`select id, expires_at, revoked_at, label from credential_shares where learner_id = $1 order by created_at`, [learnerId])).rows;

describe('GET /credentials (my micro-credentials)', () => {
  it('when the learner has a credential, then the page lists it with its live status and links to its details and the original', async () => {
    const { browser, credential } = await learnerWithCredential();
    const res = await request(h.app).get('/credentials').set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>My credentials</h1>');
    expect(res.text).toContain(credential.achievementName);
    expect(res.text).toContain('<span class="tag plus">Valid</span>');
    expect(res.text).toContain(`href="/credentials/${credential.id}/original"`);
    expect(res.text).toContain('aria-current="page"');
  });

  it('when the learner downloads the original, then it is the VC-JWT byte for byte, as the API gives it', async () => {
    const { learner, browser, credential } = await learnerWithCredential();
    const page = await request(h.app).get(`/credentials/${credential.id}/original`).set('Cookie', browser.cookie).buffer(true).parse((res, cb) => {
      let data = ''; res.on('data', (c: Buffer) => { data += c.toString(); }); res.on('end', () => cb(null, data));
    });
    const api = await request(h.app).get(`/v1/me/credentials/${credential.id}/original`).set('authorization', `Bearer ${learner.token}`).buffer(true).parse((res, cb) => {
      let data = ''; res.on('data', (c: Buffer) => { data += c.toString(); }); res.on('end', () => cb(null, data));
    });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('application/vc+jwt');
    expect(page.headers['content-disposition']).toBe(`attachment; filename="credential-${credential.id}.jwt"`);
    expect(page.body).toBe(api.body);
  });

  it('when another learner asks for the credential, its page or its original, then 404 and nothing of it shows', async () => {
    const { credential } = await learnerWithCredential();
    const other = await pw.world.learnerWithCredit('0');
    const browser = await sessionFor(h, { role: 'citizen', subject: 'oidc:other', learnerId: other.id });
    for (const path of [`/credentials/${credential.id}`, `/credentials/${credential.id}/original`]) {
      const res = await request(h.app).get(path).set('Cookie', browser.cookie);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain(credential.achievementName);
    }
    expect((await request(h.app).get('/credentials/not-a-uuid').set('Cookie', browser.cookie)).status).toBe(404);
  });
});

describe('share links in the page', () => {
  it('when the learner creates a link for 7 days, then the page shows the link once, it opens for an employer, and a resend of the form makes no second link', async () => {
    const { learner, browser, credential } = await learnerWithCredential();
    const detail = await request(h.app).get(`/credentials/${credential.id}`).set('Cookie', browser.cookie);
    expect(detail.text).toContain('You have not shared this credential.');
    const fields = { ...formFields(detail.text, `/credentials/${credential.id}/shares`), expiresInDays: '7', label: 'Acme Analytics' };
    const created = await postForm(h.app, `/credentials/${credential.id}/shares`, browser.cookie, fields);
    expect(created.status).toBe(200);
    const url = /<code>([^<]+)<\/code>/.exec(created.text)?.[1];
    expect(url).toMatch(/\/v1\/public\/credential-shares\/lcs_/);
    expect(created.text).toContain('Copy it now: it is shown only this once.');
    const opened = await request(h.app).get(new URL(url!).pathname);
    expect(opened.status, opened.text).toBe(200);
    expect(opened.body.verification.verified).toBe(true);

    const again = await postForm(h.app, `/credentials/${credential.id}/shares`, browser.cookie, fields);
    expect(again.status).toBe(200);
    expect(/<code>([^<]+)<\/code>/.exec(again.text)?.[1]).toBe(url);
    const rows = await shareRows(learner.id);
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0].expires_at).getTime()).toBe(h.clock.now().getTime() + 7 * 86_400_000);
    expect(rows[0].label).toBe('Acme Analytics');

    // Shown once: the list afterwards has the link's state and use count, not its token.
    const list = await request(h.app).get(`/credentials/${credential.id}`).set('Cookie', browser.cookie);
    expect(list.text).toContain('Acme Analytics');
    expect(list.text).toContain('Works');
    expect(list.text).not.toContain(new URL(url!).pathname.split('/').pop()!);
  });

  it('when the learner revokes a link, then the page says so, the link answers 410 and the list shows it revoked with no revoke button', async () => {
    const { learner, browser, credential } = await learnerWithCredential();
    const detail = await request(h.app).get(`/credentials/${credential.id}`).set('Cookie', browser.cookie);
    const created = await postForm(h.app, `/credentials/${credential.id}/shares`, browser.cookie, { ...formFields(detail.text, `/credentials/${credential.id}/shares`), expiresInDays: '30' });
    const url = /<code>([^<]+)<\/code>/.exec(created.text)![1]!;
    const [share] = await shareRows(learner.id);
    const revoke = await postForm(h.app, `/credentials/shares/${share.id}/revoke`, browser.cookie, formFields(created.text, `/credentials/shares/${share.id}/revoke`));
    expect(revoke.status).toBe(303);
    expect(revoke.headers.location).toBe(`/credentials/${credential.id}?done=revoked`);
    expect((await request(h.app).get(new URL(url).pathname)).status).toBe(410);
    const after = await request(h.app).get(revoke.headers.location as string).set('Cookie', browser.cookie);
    expect(after.text).toContain('The link was revoked. It no longer works.');
    expect(after.text).toContain('<span class="tag">Revoked</span>');
    expect(after.text).not.toContain(`/credentials/shares/${share.id}/revoke`);
    expect((await shareRows(learner.id))[0].revoked_at).not.toBeNull();
  });

  it.each([
    ['0', 'expiresInDays'], ['91', 'expiresInDays'], ['seven', 'expiresInDays'], ['-3', 'expiresInDays'],
  ])('when the days are %s, then 400 with the error summary naming the field, the value kept, and no link made', async (days, field) => {
    const { learner, browser, credential } = await learnerWithCredential();
    const detail = await request(h.app).get(`/credentials/${credential.id}`).set('Cookie', browser.cookie);
    const res = await postForm(h.app, `/credentials/${credential.id}/shares`, browser.cookie, { ...formFields(detail.text, `/credentials/${credential.id}/shares`), expiresInDays: days });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<div class="error-summary" role="alert" tabindex="-1"><h2>There is a problem</h2>');
    expect(res.text).toContain(`<a href="#${field}">Enter how many days the link works, from 1 to 90</a>`);
    expect(res.text).toContain('aria-invalid="true"');
    expect(res.text).toContain(`value="${days}"`);
    expect(res.text).toContain('<title>Error: ');
    expect(await shareRows(learner.id)).toEqual([]);
  });

  it('when the label is too long, then 400 naming the label and no link made', async () => {
    const { learner, browser, credential } = await learnerWithCredential();
    const detail = await request(h.app).get(`/credentials/${credential.id}`).set('Cookie', browser.cookie);
    const res = await postForm(h.app, `/credentials/${credential.id}/shares`, browser.cookie, { ...formFields(detail.text, `/credentials/${credential.id}/shares`), expiresInDays: '5', label: 'x'.repeat(101) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<a href="#label">Write at most 100 characters for who it is for</a>');
    expect(await shareRows(learner.id)).toEqual([]);
  });

  it('when the form has no idempotency key, or names another learner\'s share, then nothing changes and no 500', async () => {
    const { learner, browser, credential } = await learnerWithCredential();
    const noKey = await postForm(h.app, `/credentials/${credential.id}/shares`, browser.cookie, { csrf: browser.csrf, expiresInDays: '5' });
    expect(noKey.status).toBe(400);
    expect(await shareRows(learner.id)).toEqual([]);
    const stranger = await postForm(h.app, `/credentials/shares/${randomUUID()}/revoke`, browser.cookie, { csrf: browser.csrf, idempotencyKey: randomUUID() });
    expect(stranger.status).toBe(404);
  });
});

describe('GET /pathways (my pathway progress)', () => {
  /** The only live pathway a fresh one (earlier ones retired), and a signed-in learner with credit who has not started it. */
  async function learnerOnFreshPathway() {
    await h.database.pool.query(`update pathways set status = 'retired', retired_at = now(), retired_reason = 'earlier test'`);
    const defined = await request(h.app).post('/v1/pathways').set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send(twoOfThreeWithin12(pw));
    expect(defined.status, defined.text).toBe(201);
    const learner = await pw.world.learnerWithCredit('100000');
    return { learner, browser: await sessionFor(h, { role: 'citizen', subject: `oidc:${learner.id}`, learnerId: learner.id }) };
  }

  it('when one of two courses is done, then the progress shows it with the deadline; when the second is done, the stacked credential downloads', async () => {
    const { learner, browser } = await learnerOnFreshPathway();
    expect((await request(h.app).get('/pathways').set('Cookie', browser.cookie)).text).toContain('You have not started a pathway yet.');

    await complete(h, pw, pw.courses[0]!, learner);
    const half = await request(h.app).get('/pathways').set('Cookie', browser.cookie);
    expect(half.status).toBe(200);
    expect(half.text).toContain('Data analyst pathway');
    expect(half.text).toContain('1 of 2 courses done');
    expect(half.text).toContain('Data Analytics Fundamentals: ');
    expect(half.text).toContain('Courses still needed: 1.');
    expect(half.text).toMatch(/Finish by .+ for these courses to count\./);
    expect(half.text).toContain('<span class="tag minus">In progress</span>');

    await complete(h, pw, pw.courses[2]!, learner);
    const done = await request(h.app).get('/pathways').set('Cookie', browser.cookie);
    expect(done.text).toContain('2 of 2 courses done');
    expect(done.text).toContain('<span class="tag plus">Completed</span>');
    expect(done.text).toContain('Bonus credit was added to your account.');
    const href = /href="(\/pathways\/[0-9a-f-]+\/credential)"/.exec(done.text)![1]!;
    const file = await request(h.app).get(href).set('Cookie', browser.cookie).buffer(true).parse((res, cb) => {
      let data = ''; res.on('data', (c: Buffer) => { data += c.toString(); }); res.on('end', () => cb(null, data));
    });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toContain('application/vc+jwt');
    const api = await asCitizen(h, learner.token).get('/v1/learners/me/pathways');
    expect(file.body).toBe(api.body.items.find((p: { completed: boolean }) => p.completed).completion.credential);
    expect(decodeJwt(file.body as string).credentialSubject.achievement.name).toBe('Data Analyst (stacked)');

    // Another learner cannot download it.
    const other = await sessionFor(h, { role: 'citizen', subject: 'oidc:o', learnerId: (await pw.world.learnerWithCredit('0')).id });
    expect((await request(h.app).get(href).set('Cookie', other.cookie)).status).toBe(404);
  });
  it('when the stacked credential is revoked, then the pathway shows it withdrawn, with no completion line and no download link', async () => {
    const { learner, browser } = await learnerOnFreshPathway();
    await complete(h, pw, pw.courses[0]!, learner);
    await complete(h, pw, pw.courses[2]!, learner);
    const mine = (await asCitizen(h, learner.token).get('/v1/learners/me/pathways')).body.items.find((p: { completed: boolean }) => p.completed);
    const before = await request(h.app).get('/pathways').set('Cookie', browser.cookie);
    expect(before.text).toContain(`href="/pathways/${mine.completion.id}/credential"`);

    const revoked = await request(h.app).post(`/v1/pathway-completions/${mine.completion.id}/revocation`).set('authorization', `Bearer ${admin}`)
      .set('idempotency-key', randomUUID()).send({ reason: 'issued in error' });
    expect(revoked.status, revoked.text).toBe(200);
    const after = await request(h.app).get('/pathways').set('Cookie', browser.cookie);
    expect(after.status).toBe(200);
    // Revoked, the pathway no longer counts as completed, and the tag says why rather than "In progress".
    expect(after.text).toContain('<span class="tag minus">Completed, credential withdrawn</span>');
    expect(after.text).not.toContain('In progress');
    expect(after.text).not.toContain(`/pathways/${mine.completion.id}/credential`);
    expect(after.text).not.toContain('Download the stacked credential');
    expect(after.text).not.toMatch(/Completed on .+\./);
  });
});
