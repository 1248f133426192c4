import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { sessionFor } from '../web/web-support.js';
import { distinctivePerson } from './journey.js';

const h = useHarness();
let world: Awaited<ReturnType<typeof catalogue>>;
beforeAll(async () => {
  world = await catalogue(h);
});

describe('GET /my-data (the citizen portal\'s personal data page)', () => {
  it('when a citizen opens it from their credit page, then it offers the download and lists the staff reads of their data with the reason', async () => {
    const person = distinctivePerson();
    const learner = await world.learnerWithCredit('10000', person);
    const browser = await sessionFor(h, { role: 'citizen', subject: `oidc:${learner.id}`, learnerId: learner.id });
    const home = await request(h.app).get('/').set('Cookie', browser.cookie);
    expect(home.text).toContain('<a href="/my-data">Your personal data: download it, or see when staff looked at it</a>');

    const empty = await request(h.app).get('/my-data').set('Cookie', browser.cookie);
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('<h1>Your personal data</h1>');
    expect(empty.text).toContain('No member of staff has looked at your details.');

    const counter = await h.token('counter', { sub: 'counter-officer-page' });
    const visit = await request(h.app).post('/v1/counter/visits').set('authorization', `Bearer ${counter}`).set('idempotency-key', crypto.randomUUID())
      .send({ country: 'SG', nationalId: person.nationalId, reason: 'learner asked to check a consent', learnerPresent: true, identityCheck: 'nric_card' });
    expect(visit.status).toBe(201);
    const page = await request(h.app).get('/my-data').set('Cookie', browser.cookie);
    expect(page.text).toContain('A service-counter officer (counter-officer-page)');
    expect(page.text).toContain('learner asked to check a consent');
    expect(page.text).not.toContain(person.nationalId);

    const file = await request(h.app).get('/my-data/export').set('Cookie', browser.cookie);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toMatch(/^application\/json/);
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="learning-credits-data-/);
    const data = JSON.parse(file.text);
    expect(data.profile).toMatchObject({ id: learner.id, fullName: person.fullName });
    expect(data.grants[0]).toMatchObject({ amount: '10000', currency: 'SGD' });
    expect(data.staffReads).toEqual([expect.objectContaining({ operation: 'openCounterVisit', purpose: 'learner asked to check a consent' })]);
  });

  it('when the page is in another language, then its words are that language\'s', async () => {
    const learner = await world.learnerWithCredit('0');
    const browser = await sessionFor(h, { role: 'citizen', subject: `oidc:${learner.id}`, learnerId: learner.id });
    const res = await request(h.app).get('/my-data?lang=id').set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Data pribadi Anda');
    expect(res.text).toContain('Unduh data saya');
  });

  it('when someone not signed in, or staff, asks for the pages, then nothing personal is sent', async () => {
    const anonymous = await request(h.app).get('/my-data/export');
    expect([302, 303, 401]).toContain(anonymous.status);
    const officer = await sessionFor(h, { role: 'counter', subject: 'oidc:counter-x' });
    const res = await request(h.app).get('/my-data/export').set('Cookie', officer.cookie);
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('"profile"');
  });
});
