import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { registerSigner, type Enrolled, type Signer, type World } from '../claims/credential-fixtures.js';
import { enrolledModular, modularCourse, moduleCredential, type ModularCourse } from '../claims/modular-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { sessionFor } from './web-support.js';

const h = useHarness();
let world: World;
let signer: Signer;
let course: ModularCourse;
let desk: { cookie: string; csrf: string };

beforeAll(async () => {
  world = await catalogue(h);
  signer = await registerSigner(h, world);
  course = await modularCourse(world);
  desk = await sessionFor(h, { role: 'provider', subject: 'oidc:provider-staff', providerId: world.providerId });
});

const claimsOf = async (enrolmentId: string) =>
  (await h.database.pool.query<{ module_ordinal: number; status: string; amount_claimed: string }>(
    'select module_ordinal, status, amount_claimed::text from claims where enrolment_id = $1 order by submitted_at', [enrolmentId])).rows;

const enrolmentPage = async (e: Enrolled) => {
  const res = await request(h.app).get(`/provider/enrolments/${e.enrolmentId}`).set('Cookie', desk.cookie);
  expect(res.status, res.text).toBe(200);
  return res.text;
};

/** The module choices the claim form offers, as [value, label]. */
const optionsOf = (page: string) => [...page.matchAll(/<option value="(\d+)"[^>]*>([^<]+)<\/option>/g)].map((m) => [m[1], m[2]]);
const moduleStates = (page: string) => [...page.matchAll(/<li>(\d)\. [^<]*: <span class="tag">([^<]+)<\/span><\/li>/g)].map((m) => [m[1], m[2]]);
const reservedNow = (page: string) => /<dt>Reserved now<\/dt><dd>([^<]+)<\/dd>/.exec(page)?.[1];

const claimModule = async (e: Enrolled, fields: { module?: string; amount: string; ordinal?: number }) => {
  const credential = await moduleCredential(h, world, signer, e, course, fields.ordinal ?? Number(fields.module ?? 1));
  const req = request(h.app).post(`/provider/enrolments/${e.enrolmentId}/claim`).set('Cookie', desk.cookie)
    .field('csrf', desk.csrf).field('idempotencyKey', randomUUID()).field('amount', fields.amount).field('credential', credential);
  return fields.module === undefined ? req : req.field('module', fields.module);
};

describe('the provider desk on a modular course', () => {
  it('when nothing is claimed yet, then the form offers every module by title, share and amount, and leaves the amount for staff to type', async () => {
    const e = await enrolledModular(h, world, course);
    const page = await enrolmentPage(e);
    expect(optionsOf(page)).toEqual([
      ['1', '1. Spreadsheets: 25%, $100.00 reserved'], ['2', '2. SQL: 30%, $120.00 reserved'], ['3', '3. Dashboards: 45%, $180.00 reserved'],
    ]);
    expect(moduleStates(page)).toEqual([['1', 'Not claimed yet'], ['2', 'Not claimed yet'], ['3', 'Not claimed yet']]);
    expect(reservedNow(page)).toBe('$400.00');
    expect(page).toContain('<input type="text" id="amount" name="amount" value=""');
  });

  it('when staff claim module 1 and then module 2, then each is approved, the paid modules leave the choice and the reserved amount', async () => {
    const e = await enrolledModular(h, world, course);
    const first = await claimModule(e, { module: '1', amount: '100.00' });
    expect(first.status, first.text).toBe(303);
    expect(await claimsOf(e.enrolmentId)).toEqual([{ module_ordinal: 1, status: 'approved', amount_claimed: '10000' }]);
    let page = await enrolmentPage(e);
    expect(moduleStates(page)).toEqual([['1', 'Approved'], ['2', 'Not claimed yet'], ['3', 'Not claimed yet']]);
    expect(optionsOf(page).map(([v]) => v)).toEqual(['2', '3']);
    expect(reservedNow(page)).toBe('$300.00');

    const second = await claimModule(e, { module: '2', amount: '120.00' });
    expect(second.status, second.text).toBe(303);
    page = await enrolmentPage(e);
    expect(moduleStates(page)).toEqual([['1', 'Approved'], ['2', 'Approved'], ['3', 'Not claimed yet']]);
    // One module left: its amount is filled in.
    expect(optionsOf(page)).toEqual([['3', '3. Dashboards: 45%, $180.00 reserved']]);
    expect(page).toContain('<input type="text" id="amount" name="amount" value="180.00"');
    expect(reservedNow(page)).toBe('$180.00');

    expect((await claimModule(e, { module: '3', amount: '180.00' })).status).toBe(303);
    page = await enrolmentPage(e);
    expect(page).toContain('<dt>Status</dt><dd>Completed</dd>');
    expect(reservedNow(page)).toBe('$0.00');
    expect(page).not.toContain('id="claim-heading"');
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when one module is in review (the enrolment is claimed), then the form still offers the modules not yet claimed', async () => {
    const e = await enrolledModular(h, world, course);
    const policy = h.deps.policy as { claimBurstPerHour?: number };
    policy.claimBurstPerHour = 0;
    try {
      expect((await claimModule(e, { module: '2', amount: '120.00' })).status).toBe(303);
    } finally {
      delete policy.claimBurstPerHour;
    }
    expect(await claimsOf(e.enrolmentId)).toEqual([{ module_ordinal: 2, status: 'in_review', amount_claimed: '12000' }]);
    const page = await enrolmentPage(e);
    expect(page).toContain('<dt>Status</dt><dd>Claimed</dd>');
    expect(moduleStates(page)).toEqual([['1', 'Not claimed yet'], ['2', 'In review'], ['3', 'Not claimed yet']]);
    expect(optionsOf(page).map(([v]) => v)).toEqual(['1', '3']);
    // The module in review is still held until it is decided.
    expect(reservedNow(page)).toBe('$400.00');
    expect((await claimModule(e, { module: '3', amount: '180.00' })).status).toBe(303);
    expect((await claimsOf(e.enrolmentId)).map((c) => [c.module_ordinal, c.status])).toEqual([[2, 'in_review'], [3, 'approved']]);
  });

  it.each([
    ['no module', undefined],
    ['a module the course does not have', '7'],
    ['a module that is not a number', 'two'],
  ])('when the form sends %s, then 400 names the module field and no claim is made', async (_, module) => {
    const e = await enrolledModular(h, world, course);
    const res = await claimModule(e, { ...(module === undefined ? {} : { module }), amount: '100.00', ordinal: 1 });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<a href="#module">Choose a module of this course that has no claim yet.</a>');
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });

  it('when the form names a module already claimed (a stale page), then 400 names the module field and no second claim is made', async () => {
    const e = await enrolledModular(h, world, course);
    expect((await claimModule(e, { module: '1', amount: '100.00' })).status).toBe(303);
    const again = await claimModule(e, { module: '1', amount: '100.00' });
    expect(again.status).toBe(400);
    expect(again.text).toContain('<a href="#module">Choose a module of this course that has no claim yet.</a>');
    expect(await claimsOf(e.enrolmentId)).toHaveLength(1);
  });

  it('when the amount is above the module\'s part, then 400 names the amount and nothing is claimed', async () => {
    const e = await enrolledModular(h, world, course);
    const res = await claimModule(e, { module: '1', amount: '100.01' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<a href="#amount">The amount must not be more than what is reserved.</a>');
    expect(await claimsOf(e.enrolmentId)).toEqual([]);
  });
});
