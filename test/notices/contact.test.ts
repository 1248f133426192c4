import fc from 'fast-check';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';
import { postForm, sessionFor } from '../web/web-support.js';
import { putContact, setContact } from './support.js';

const h = useHarness();
let learner: { id: string; token: string };

beforeAll(async () => {
  const api = await adminApi(h);
  const { id } = await api.learner();
  learner = { id, token: await h.token('citizen', { learnerId: id }) };
});

const valid = { email: 'siti@example.id', phone: '+6281234567890', language: 'id', emailNotices: true, smsNotices: true };
const getContact = (token: string) => request(h.app).get('/v1/learners/me/contact').set('authorization', `Bearer ${token}`);
const contactRow = async (learnerId: string) => (await h.database.pool.query(`select email, phone, language, email_notices, sms_notices from learner_contacts where learner_id = $1`, [learnerId])).rows[0];

describe('GET and PUT /v1/learners/me/contact', () => {
  it('when a learner has saved nothing, then they read English, no address and no update time', async () => {
    const api = await adminApi(h);
    const fresh = await api.learner();
    const res = await getContact(await h.token('citizen', { learnerId: fresh.id }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: null, phone: null, language: 'en', emailNotices: true, smsNotices: false, updatedAt: null });
  });

  it('when a learner saves details, then they read them back, the phone in E.164, and the audit names no address', async () => {
    const res = await putContact(h, learner.token, { ...valid, phone: '+62 812-3456-7890' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ...valid, updatedAt: h.clock.now().toISOString() });
    expect((await getContact(learner.token)).body).toMatchObject(valid);
    const audit = await h.database.pool.query(`select details::text from audit_events where entity_id = $1 and action = 'learner.contact_set'`, [learner.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].details).not.toContain('siti');
    expect(audit.rows[0].details).not.toContain('628');
  });

  it.each([
    ['email', { email: 'not-an-address' }],
    ['phone', { phone: '0812345678' }],
    ['phone', { phone: '+0123456789' }],
    ['language', { language: 'fr' }],
    ['email', { email: null, emailNotices: true }],
    ['phone', { phone: null, smsNotices: true }],
  ])('when %s is wrong (%j), then 422 names body.%s and nothing changes', async (field, change) => {
    await setContact(h, learner.token, valid);
    const before = await contactRow(learner.id);
    const res = await putContact(h, learner.token, { ...valid, ...change });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(`body.${field}`);
    expect(await contactRow(learner.id)).toEqual(before);
  });

  it('when the body has an unknown field or is not an object, then 4xx and nothing changes', async () => {
    const before = await contactRow(learner.id);
    expect((await putContact(h, learner.token, { ...valid, nationalId: 'S1234567D' })).status).toBe(422);
    expect((await putContact(h, learner.token, [valid])).status).toBe(422);
    expect(await contactRow(learner.id)).toEqual(before);
  });

  it('accepts every E.164 number and refuses anything that is not one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[1-9]\d{6,14}$/), async (digits) => {
        expect((await putContact(h, learner.token, { ...valid, phone: `+${digits}` })).status).toBe(200);
      }),
      { numRuns: 15 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.stringMatching(/^\d{7,15}$/), fc.stringMatching(/^\+[1-9]\d{15,20}$/), fc.stringMatching(/^\+[1-9]\d{0,5}$/), fc.stringMatching(/^\+[a-z]{8}$/)), async (phone) => {
        const res = await putContact(h, learner.token, { ...valid, phone });
        expect(res.status).toBe(422);
        expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.phone']);
      }),
      { numRuns: 15 },
    );
  });

  it('when a provider or an administrator calls it, then 403: only the learner themselves sets their contact', async () => {
    for (const role of ['provider', 'admin'] as const) {
      const token = role === 'provider' ? await h.token('provider', { providerId: learner.id }) : await h.token('admin');
      expect((await getContact(token)).status).toBe(403);
      expect((await putContact(h, token, valid)).status).toBe(403);
    }
  });
});

describe('the contact page', () => {
  const principal = () => ({ role: 'citizen' as const, subject: `oidc:${learner.id}`, learnerId: learner.id });
  const form = { email: 'tan@example.sg', phone: '+65 9123 4567', language: 'zh', emailNotices: 'on' };

  it('when the learner saves the form, then the API reads the same details and the page says so in their language', async () => {
    const browser = await sessionFor(h, principal());
    const res = await postForm(h.app, '/contact', browser.cookie, { csrf: browser.csrf, ...form });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/contact?done=saved');
    expect((await getContact(learner.token)).body).toMatchObject({ email: 'tan@example.sg', phone: '+6591234567', language: 'zh', emailNotices: true, smsNotices: false });
    const page = await request(h.app).get('/contact?done=saved&lang=ms').set('Cookie', browser.cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Butiran hubungan anda telah disimpan.');
    expect(page.text).toContain('value="tan@example.sg"');
    expect(page.text).toMatch(/<option value="zh" selected>简体中文<\/option>/);
  });

  it('when a field is wrong, then 400 with an error summary naming it, and nothing changes', async () => {
    const browser = await sessionFor(h, principal());
    const before = await contactRow(learner.id);
    const res = await postForm(h.app, '/contact?lang=en', browser.cookie, { csrf: browser.csrf, email: '', phone: '12345', language: 'en', smsNotices: 'on' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('class="error-summary"');
    expect(res.text).toContain('<a href="#phone">Enter a mobile number with its country code, such as +6591234567</a>');
    expect(res.text).toContain('aria-invalid="true"');
    expect(await contactRow(learner.id)).toEqual(before);
  });

  it('when the form comes without the session\'s CSRF token, then 403 and nothing changes', async () => {
    const browser = await sessionFor(h, principal());
    const before = await contactRow(learner.id);
    const res = await postForm(h.app, '/contact', browser.cookie, { ...form, email: 'forged@example.test' });
    expect(res.status).toBe(403);
    expect(await contactRow(learner.id)).toEqual(before);
  });
});
