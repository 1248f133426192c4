import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { learnerTables } from '../../src/modules/data-rights/data-export.repo.js';
import { expectProblem } from '../http/expect-problem.js';
import { incentiveWorld } from '../incentives/incentive-world.js';
import { useHarness } from '../support/harness.js';
import { counterReason, wholeJourney, type DataRightsWorld, type Journey } from './journey.js';

const h = useHarness({ poolSize: 20 });
let w: DataRightsWorld;
let j: Journey;
beforeAll(async () => {
  w = await incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '100000' });
  j = await wholeJourney(h, w);
});

const ids = (rows: Record<string, unknown>[], key = 'id') => rows.map((r) => r[key]);

describe('GET /v1/learners/me/data-export', () => {
  it('when the learner downloads their data, then one JSON attachment holds everything seeded for them, amounts as minor-unit strings', async () => {
    const res = await j.me.get('/v1/learners/me/data-export');
    expect(res.status, res.text).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="learning-credits-data-\d{4}-\d{2}-\d{2}\.json"$/);
    const x = res.body;

    expect(x.profile).toMatchObject({ id: j.learner.id, fullName: j.person.fullName, dateOfBirth: j.person.dateOfBirth, erasedAt: null });
    expect(x.profile.nationalIdMasked).toMatch(/^\*+/);
    // Never the national id in clear, nor its keyed hash.
    const hash = h.deps.nationalIds.hash('SG', j.person.nationalId);
    expect(res.text).not.toContain(j.person.nationalId);
    expect(res.text).not.toContain(hash.toString('hex'));
    expect(res.text).not.toContain(hash.toString('base64'));

    expect(x.grants).toHaveLength(1);
    expect(x.grants[0]).toMatchObject({ learnerId: j.learner.id, amount: '50000', currency: 'SGD', schemeId: w.world.scheme.id });
    expect(x.enrolments).toEqual([expect.objectContaining({ id: j.enrolmentId, origin: 'provider_request', status: 'completed', fee: '30000', currency: 'SGD' })]);
    // The consent: asked for by the provider, answered by the learner (reservedAt), within its deadline.
    expect(x.enrolments[0].reservedAt).toEqual(expect.any(String));
    expect(x.enrolments[0].consentDeadline).toEqual(expect.any(String));
    expect(ids(x.reservations, 'enrolmentId')).toContain(j.enrolmentId);
    expect(x.claims).toEqual([expect.objectContaining({ id: j.claimId, status: 'paid', amountClaimed: '30000', currency: 'SGD' })]);
    expect(x.credentials).toEqual([expect.objectContaining({ claimId: j.claimId, courseId: w.world.courseId, jws: expect.stringMatching(/^ey/) })]);
    expect(x.ratings).toEqual([expect.objectContaining({ enrolmentId: j.enrolmentId, stars: 4, comment: 'Useful.' })]);
    expect(x.incentives).toEqual([expect.objectContaining({ enrolmentId: j.enrolmentId, amount: '5000', currency: 'SGD' })]);
    expect(x.payments).toEqual([expect.objectContaining({ learnerId: j.learner.id, amount: '5000', currency: 'SGD', status: 'settled' })]);
    // The payee account as the API shows it elsewhere: masked, never the number.
    expect(x.payeeAccounts).toEqual([expect.objectContaining({ kind: 'bank', status: 'active', masked: 'account ending 9012' })]);
    expect(x.payeeAccounts[0]).not.toHaveProperty('account');
    expect(res.text).not.toContain('123456789012');
    expect(x.counterActs).toEqual([expect.objectContaining({ id: j.visitId, action: 'lookup', reason: counterReason, officerSubject: 'counter-officer-dr' })]);
    expect(x.staffReads.map((r: { operation: string }) => r.operation)).toEqual(expect.arrayContaining(['getLearner', 'openCounterVisit']));
    expect(x.contacts).toEqual([expect.objectContaining({ learnerId: j.learner.id, email: j.contact.email, phone: j.contact.phone, language: 'ms' })]);
    expect(x.appeals).toEqual([expect.objectContaining({ learnerId: j.learner.id, statement: expect.stringContaining(j.person.fullName), status: 'rejected' })]);
    // The events about them (the consent, the claim, the payment), each with its type and ids.
    expect(x.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['enrolment.requested', 'enrolment.consented', 'incentive.paid']));

    // Every movement of the credit: the grant, the reservation, the claim's payment.
    const kinds = x.movements.map((m: { code: string }) => m.code);
    expect(kinds.length).toBeGreaterThanOrEqual(2);
    for (const m of x.movements) expect(m).toMatchObject({ amount: expect.stringMatching(/^\d+$/), currency: 'SGD' });
    const mine = await j.me.get('/v1/me/transactions?limit=200');
    expect(x.movements).toEqual(mine.body.items);

    // Every section the service keys by learner is in the file.
    for (const t of learnerTables) expect(Array.isArray(x[t.section]), t.section).toBe(true);
  });

  it('when the export lists the tables keyed by a learner, then no table with a learner_id column is missing from it', async () => {
    const r = await h.database.pool.query(
      `select table_name from information_schema.columns where table_schema = 'public' and column_name = 'learner_id' order by 1`,
    );
    const keyed = r.rows.map((row: { table_name: string }) => row.table_name);
    const exported = new Set<string>(learnerTables.map((t) => t.table));
    // The learner's own row is the profile; their credit is in the movements.
    expect(keyed.filter((t) => !exported.has(t))).toEqual([]);
  });

  it('when a counter officer exports the data of the learner at the counter, then the same export is sent and the read is in the learner\'s log', async () => {
    const officer = await h.token('counter', { sub: 'counter-officer-dr' });
    const res = await request(h.app).get(`/v1/counter/visits/${j.visitId}/data-export`).set('authorization', `Bearer ${officer}`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="learning-credits-data-/);
    const own = (await j.me.get('/v1/learners/me/data-export')).body;
    const { staffReads: counterReads, exportedAt: _a, ...counterCopy } = res.body;
    const { staffReads: ownReads, exportedAt: _b, ...ownCopy } = own;
    expect(counterCopy).toEqual(ownCopy);
    expect(ownReads.at(-1)).toMatchObject({ operation: 'exportCounterLearnerData', readerSubject: 'counter-officer-dr', requestId: res.headers['x-request-id'] });
    expect(counterReads.length).toBe(ownReads.length);
    // Another officer cannot use this officer's visit.
    const other = await h.token('counter', { sub: 'counter-officer-other' });
    expectProblem(await request(h.app).get(`/v1/counter/visits/${j.visitId}/data-export`).set('authorization', `Bearer ${other}`), 404, 'not_found');
  });

  it('when another role asks for the export, then 403 and nothing is sent', async () => {
    for (const role of ['admin', 'finance', 'counter', 'provider', 'analyst'] as const) {
      const token = await h.token(role, role === 'provider' ? { providerId: w.world.providerId } : {});
      const res = await request(h.app).get('/v1/learners/me/data-export').set('authorization', `Bearer ${token}`);
      expectProblem(res, 403, 'forbidden');
    }
    expectProblem(await request(h.app).get('/v1/learners/me/data-export'), 401, 'unauthenticated');
  });
});

describe('the staff-read log', () => {
  it('when staff read a learner\'s personal data, then each read is logged with who, what, why and the request, and the learner and an administrator list it', async () => {
    const admin = await h.token('admin', { sub: 'admin-reader' });
    const read = await request(h.app).get(`/v1/learners/${j.learner.id}`).set('authorization', `Bearer ${admin}`);
    expect(read.status).toBe(200);
    const lookup = await request(h.app).post('/v1/learners/lookup').set('authorization', `Bearer ${admin}`).send({ country: 'SG', nationalId: j.person.nationalId });
    expect(lookup.status, lookup.text).toBe(200);

    const mine = await j.me.get('/v1/learners/me/data-access-log');
    expect(mine.status, mine.text).toBe(200);
    const items = mine.body.items as { operation: string; purpose: string; readerSubject: string; readerRole: string; requestId: string }[];
    expect(items[0]).toMatchObject({ operation: 'lookupLearner', readerSubject: 'admin-reader', readerRole: 'admin', requestId: lookup.headers['x-request-id'] });
    expect(items[1]).toMatchObject({ operation: 'getLearner', readerSubject: 'admin-reader', requestId: read.headers['x-request-id'] });
    expect(items.find((i) => i.operation === 'openCounterVisit')).toMatchObject({ readerRole: 'counter', readerSubject: 'counter-officer-dr', purpose: counterReason });
    expect(JSON.stringify(mine.body)).not.toContain(j.person.nationalId);

    const auditor = await request(h.app).get(`/v1/learners/${j.learner.id}/data-access-log`).set('authorization', `Bearer ${admin}`);
    expect(auditor.status, auditor.text).toBe(200);
    expect(auditor.body.items).toEqual(items);

    // The learner reading their own data is not a staff read.
    await j.me.get('/v1/me');
    expect((await j.me.get('/v1/learners/me/data-access-log')).body.items).toHaveLength(items.length);
  });

  it('when the log is paged, then the pages hold every read once, newest first', async () => {
    const admin = await h.token('admin', { sub: 'admin-pager' });
    for (let i = 0; i < 3; i++) await request(h.app).get(`/v1/learners/${j.learner.id}`).set('authorization', `Bearer ${admin}`);
    const all = (await j.me.get('/v1/learners/me/data-access-log?limit=200')).body.items as { id: string; at: string }[];
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await j.me.get(`/v1/learners/me/data-access-log?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((i) => i.id));
    expect([...all].sort((a, b) => b.at.localeCompare(a.at))).toEqual(all);
  });

  it('when a staff read is refused (unknown learner, bad id, unknown national id, wrong role), then nothing is logged', async () => {
    const count = async () => Number((await h.database.pool.query(`select count(*) n from staff_data_reads`)).rows[0].n);
    const before = await count();
    const admin = await h.token('admin', { sub: 'admin-refused' });
    expect((await request(h.app).get(`/v1/learners/${randomUUID()}`).set('authorization', `Bearer ${admin}`)).status).toBe(404);
    expect((await request(h.app).get('/v1/learners/nope').set('authorization', `Bearer ${admin}`)).status).toBe(422);
    expect((await request(h.app).post('/v1/learners/lookup').set('authorization', `Bearer ${admin}`).send({ country: 'SG', nationalId: 'S0000001I' })).status).toBeGreaterThanOrEqual(400);
    const finance = await h.token('finance');
    expect((await request(h.app).get(`/v1/learners/${j.learner.id}`).set('authorization', `Bearer ${finance}`)).status).toBe(403);
    expect(await count()).toBe(before);
  });

  it('when a citizen asks for another learner\'s log, or a non-admin for any, then 403; bad input is a 4xx naming the field', async () => {
    const other = await w.world.learnerWithCredit('0');
    const asOther = await request(h.app).get(`/v1/learners/${j.learner.id}/data-access-log`).set('authorization', `Bearer ${other.token}`);
    expectProblem(asOther, 403, 'forbidden');
    for (const role of ['finance', 'counter', 'analyst'] as const) {
      const token = await h.token(role);
      expectProblem(await request(h.app).get(`/v1/learners/${j.learner.id}/data-access-log`).set('authorization', `Bearer ${token}`), 403, 'forbidden');
    }
    // The other learner's own log holds nothing of the first.
    expect((await w.as(other.token).get('/v1/learners/me/data-access-log')).body.items).toEqual([]);

    const admin = await h.token('admin');
    const get = (path: string) => request(h.app).get(path).set('authorization', `Bearer ${admin}`);
    const badId = expectProblem(await get('/v1/learners/not-a-uuid/data-access-log'), 422, 'validation_failed');
    expect(JSON.stringify(badId.errors)).toContain('path.learnerId');
    expectProblem(await get(`/v1/learners/${randomUUID()}/data-access-log`), 404, 'not_found');
    const badCursor = expectProblem(await j.me.get('/v1/learners/me/data-access-log?cursor=nonsense'), 422, 'validation_failed');
    expect(JSON.stringify(badCursor.errors)).toContain('query.cursor');
    const badLimit = expectProblem(await j.me.get('/v1/learners/me/data-access-log?limit=0'), 422, 'validation_failed');
    expect(JSON.stringify(badLimit.errors)).toContain('query.limit');
  });
});
