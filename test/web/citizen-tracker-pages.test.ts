import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepEnrolments } from '../../src/modules/enrolments/enrolments.service.js';
import { track, trackerSteps, trackModular, type TrackedEnrolment } from '../../src/web/tracker/tracker.js';
import type { ClaimRow } from '../../src/modules/claims/claims.service.js';
import {
  advanceTo, credentialPayload, DAY, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Signer, type World,
} from '../claims/credential-fixtures.js';
import { enrolledModular, modularCourse, moduleCredential } from '../claims/modular-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { postForm, sessionFor } from './web-support.js';

const h = useHarness();
let world: World;
let signer: Signer;

beforeAll(async () => {
  world = await catalogue(h);
  signer = await registerSigner(h, world);
});

const browserOf = (learnerId: string) => sessionFor(h, { role: 'citizen', subject: `oidc:${learnerId}`, learnerId });

/** The tracker card of one enrolment, as the page rendered it. */
async function cardOf(learnerId: string, enrolmentId: string, path = '/tracker') {
  const browser = await browserOf(learnerId);
  const res = await request(h.app).get(path).set('Cookie', browser.cookie);
  expect(res.status, res.text).toBe(200);
  const card = res.text.split('<li class="card track" id="').find((c) => c.startsWith(`enrolment-${enrolmentId}"`))?.split('<p class="hint">')[0];
  if (!card) throw new Error(`no tracker card for ${enrolmentId} in ${res.text}`);
  return { page: res.text, card };
}

/** Each step of a card and its state, in order: [step words, done|current|todo|stopped]. */
const stepsOf = (card: string) => [...card.matchAll(/<li class="step (\w+)"[^>]*><span class="visually-hidden">[^<]*<\/span>([^<]+)/g)].map((m) => [m[2]!.trim(), m[1]!]);

const claimFor = async (e: Awaited<ReturnType<typeof enrolled>>, over: Record<string, unknown> = {}) => {
  const credential = await signCredential(credentialPayload(factsFor(world, e, h, over)), signer);
  const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; status: string };
};

describe('GET /tracker (the live tracker)', () => {
  it('when a provider asks to enrol the learner, then the tracker waits at "You agreed" and names the consent deadline', async () => {
    const learner = await world.learnerWithCredit('50000');
    const runId = await world.run('20000');
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
    expect(requested.status).toBe(201);
    const { page, card } = await cardOf(learner.id, requested.body.id);
    expect(stepsOf(card)).toEqual([
      ['Requested', 'done'], ['You agreed', 'current'], ['Credit reserved', 'todo'], ['Claim sent by the provider', 'todo'], ['Checked', 'todo'],
      ['Claim approved', 'todo'], ['Paid to the provider', 'todo'],
    ]);
    expect(card).toContain('aria-current="step"');
    const deadline = new Intl.DateTimeFormat('en-SG', { dateStyle: 'long', timeZone: 'Asia/Singapore' }).format(new Date(requested.body.consentDeadline));
    expect(card).toContain(`Answer by ${deadline}, or the request lapses.`);
    // Not final: the region names the URL the enhancement refreshes it from, inside a polite live region.
    expect(page).toContain('<div aria-live="polite"><div id="tracker" class="tracker" data-refresh="/tracker?fragment=tracker">');
  });

  it('when the learner enrolled and the claim window is open, then the tracker waits for the claim and names the window\'s end', async () => {
    const e = await enrolled(h, world);
    const { card } = await cardOf(e.learner.id, e.enrolmentId);
    expect(stepsOf(card).map(([, s]) => s)).toEqual(['done', 'done', 'done', 'current', 'todo', 'todo', 'todo']);
    const api = await request(h.app).get(`/v1/enrolments/${e.enrolmentId}`).set('authorization', `Bearer ${world.providerToken}`);
    const closes = new Intl.DateTimeFormat('en-SG', { dateStyle: 'long', timeZone: 'Asia/Singapore' }).format(new Date(api.body.reservationExpiresAt));
    expect(card).toContain(`The provider must claim by ${closes}.`);
  });

  it('when the claim is held for review, then the tracker says why in plain words and when a decision is due', async () => {
    const e = await enrolled(h, world);
    advanceTo(h, new Date(e.startsAt.getTime() + DAY)); // mid-run: a completion now is suspicious
    const claim = await claimFor(e);
    expect(claim.status).toBe('in_review');
    const { card } = await cardOf(e.learner.id, e.enrolmentId);
    expect(stepsOf(card).map(([, s]) => s)).toEqual(['done', 'done', 'done', 'done', 'current', 'todo', 'todo']);
    expect(card).toContain('On hold: the provider says you completed before the course ended. An officer checks this.');
    expect(card).toContain('A decision is due by');
    expect(card).toContain('Claimed by the provider: $300.00');
  });

  it('when the claim is refused, then the step says so with each reason in plain words, and the claim window still counts down', async () => {
    const e = await enrolled(h, world);
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const claim = await claimFor(e, { subjectId: `urn:uuid:${randomUUID()}` });
    expect(claim.status).toBe('rejected');
    const { card, page } = await cardOf(e.learner.id, e.enrolmentId);
    expect(stepsOf(card)).toContainEqual(['Claim refused', 'stopped']);
    expect(card).toContain('The completion record names someone else.');
    expect(card).toContain('The provider must claim by');
    expect(page).toContain('data-refresh=');
  });

  it('when the claim is approved, then every step to approval is done and payment is next', async () => {
    const e = await enrolled(h, world);
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    expect((await claimFor(e)).status).toBe('approved');
    const { card } = await cardOf(e.learner.id, e.enrolmentId);
    expect(stepsOf(card).map(([, s]) => s)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'current']);
    expect(card).not.toContain('class="deadline"');
  });

  it('when the learner declined, then the tracker is final: it says so, and the page stops refreshing', async () => {
    const learner = await world.learnerWithCredit('50000');
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: await world.run('20000') });
    const browser = await browserOf(learner.id);
    const decline = await postForm(h.app, `/enrolments/${requested.body.id}/decline`, browser.cookie, { csrf: browser.csrf, idempotencyKey: randomUUID() });
    expect(decline.status).toBe(303);
    const { card, page } = await cardOf(learner.id, requested.body.id);
    expect(stepsOf(card)).toEqual([
      ['Requested', 'done'], ['Stopped', 'stopped'], ['Credit reserved', 'todo'], ['Claim sent by the provider', 'todo'], ['Checked', 'todo'],
      ['Claim approved', 'todo'], ['Paid to the provider', 'todo'],
    ]);
    expect(card).toContain('You declined the request.');
    expect(page).not.toContain('data-refresh=');
    expect(page).toContain('Nothing here will change any more.');
  });

  it('when a request is not answered in time, then the tracker says it lapsed', async () => {
    const learner = await world.learnerWithCredit('50000');
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: await world.run('20000', { startsInDays: 40 }) });
    advanceTo(h, new Date(new Date(requested.body.consentDeadline).getTime() + HOUR));
    await sweepEnrolments(h.deps);
    const { card } = await cardOf(learner.id, requested.body.id);
    expect(card).toContain('The request lapsed: it was not answered in time.');
  });

  it('when the enhancement asks for ?fragment=tracker, then only the region comes back, without the layout, in the learner\'s language', async () => {
    const e = await enrolled(h, world);
    const browser = await browserOf(e.learner.id);
    const res = await request(h.app).get('/tracker?fragment=tracker&lang=ms').set('Cookie', browser.cookie);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text.startsWith('<div id="tracker"')).toBe(true);
    expect(res.text).not.toContain('<html');
    expect(res.text).toContain('Kredit ditempah');
  });

  it('when the grant has a first-use deadline, then the tracker names it', async () => {
    const prakerja = await catalogue(h, { rules: { firstUseDeadlineDays: 15 } });
    const learner = await prakerja.learnerWithCredit('50000');
    const browser = await browserOf(learner.id);
    const res = await request(h.app).get('/tracker').set('Cookie', browser.cookie);
    expect(res.text).toMatch(/Use your .+ credit by .+, or it lapses\./);
    expect(res.text).toContain('You have no enrolments yet.');
  });

  it('when someone other than a citizen opens it, then 403; signed out, to sign-in', async () => {
    const finance = await sessionFor(h, { role: 'finance', subject: 'oidc:f' });
    expect((await request(h.app).get('/tracker').set('Cookie', finance.cookie)).status).toBe(403);
    expect((await request(h.app).get('/tracker?fragment=tracker')).status).toBe(302);
  });
});

describe('GET /tracker on a modular course (one claim per module)', () => {
  /** Each module line of a card: [title, what it says]. */
  const modulesOf = (card: string) => [...card.matchAll(/<li class="module \w+"><strong>([^<]+)<\/strong>: ([^<]+)/g)].map((m) => [m[1], m[2]!.trim()]);
  const claimModule = async (e: Awaited<ReturnType<typeof enrolled>>, course: Awaited<ReturnType<typeof modularCourse>>, module: number, amount: string, over: Parameters<typeof factsFor>[3] = {}) => {
    const credential = over.subjectId
      ? await signCredential(credentialPayload(factsFor(world, e, h, { courseId: course.id, ...over })), signer)
      : await moduleCredential(h, world, signer, e, course, module);
    const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, module, amount, credential });
    expect(res.status, res.text).toBe(201);
    return res.body as { status: string };
  };

  it('when modules are claimed one by one, then each module shows its own state, the enrolment is approved only after the last, and the tracker stays live until it is paid', async () => {
    const course = await modularCourse(world);
    const e = await enrolledModular(h, world, course);
    let { card, page } = await cardOf(e.learner.id, e.enrolmentId);
    expect(modulesOf(card)).toEqual([['1. Spreadsheets', 'Not claimed yet'], ['2. SQL', 'Not claimed yet'], ['3. Dashboards', 'Not claimed yet']]);
    expect(stepsOf(card).map(([, s]) => s)).toEqual(['done', 'done', 'done', 'current', 'todo', 'todo', 'todo']);

    expect((await claimModule(e, course, 1, '10000')).status).toBe('approved');
    // A refused module 2 is named with its reason; the provider may send it again.
    expect((await claimModule(e, course, 2, '12000', { subjectId: `urn:uuid:${randomUUID()}` })).status).toBe('rejected');
    ({ card, page } = await cardOf(e.learner.id, e.enrolmentId));
    expect(modulesOf(card)).toEqual([['1. Spreadsheets', 'Claim approved ($100.00)'], ['2. SQL', 'Claim refused'], ['3. Dashboards', 'Not claimed yet']]);
    expect(card).toContain('The completion record names someone else.');
    expect(stepsOf(card).map(([, s]) => s)).toEqual(['done', 'done', 'done', 'current', 'todo', 'todo', 'todo']);
    expect(card).toContain('The provider must claim by');
    expect(page).toContain('data-refresh=');

    expect((await claimModule(e, course, 2, '12000')).status).toBe('approved');
    ({ card, page } = await cardOf(e.learner.id, e.enrolmentId));
    expect(modulesOf(card)).toEqual([['1. Spreadsheets', 'Claim approved ($100.00)'], ['2. SQL', 'Claim approved ($120.00)'], ['3. Dashboards', 'Not claimed yet']]);
    expect(stepsOf(card)).toContainEqual(['Claim approved', 'todo']);
    expect(page).toContain('data-refresh=');

    expect((await claimModule(e, course, 3, '18000')).status).toBe('approved');
    ({ card, page } = await cardOf(e.learner.id, e.enrolmentId));
    expect(modulesOf(card).map(([, s]) => s)).toEqual(['Claim approved ($100.00)', 'Claim approved ($120.00)', 'Claim approved ($180.00)']);
    expect(stepsOf(card).map(([, s]) => s)).toEqual(['done', 'done', 'done', 'done', 'done', 'done', 'current']);
    expect(card).not.toContain('class="deadline"');
    // Approved but not yet paid to the provider: the tracker still refreshes.
    expect(page).toContain('data-refresh=');
  });

  it('when one module is held for review, then that module is being checked, the others stay open and the decision date is next', async () => {
    const course = await modularCourse(world);
    const e = await enrolledModular(h, world, course);
    const policy = h.deps.policy as { claimBurstPerHour?: number };
    policy.claimBurstPerHour = 0;
    try {
      expect((await claimModule(e, course, 1, '10000')).status).toBe('in_review');
    } finally {
      delete policy.claimBurstPerHour;
    }
    const { card } = await cardOf(e.learner.id, e.enrolmentId);
    expect(modulesOf(card)).toEqual([['1. Spreadsheets', 'Being checked ($100.00)'], ['2. SQL', 'Not claimed yet'], ['3. Dashboards', 'Not claimed yet']]);
    expect(card).toContain('On hold: the provider sent many claims at once. An officer checks them.');
    expect(card).toContain('A decision is due by');
  });
});

describe('track() for the states a page test cannot reach cheaply', () => {
  const enrolment = (over: Partial<TrackedEnrolment> = {}) =>
    ({ id: randomUUID(), status: 'completed', requestedAt: new Date('2027-01-01'), reservedAt: new Date('2027-01-02'), consentDeadline: null, claimWindowEnds: null, endReasonCode: 'claim_approved', ...over }) as TrackedEnrolment;
  const claim = (over: Partial<ClaimRow>) =>
    ({ id: randomUUID(), status: 'approved', submittedAt: new Date('2027-02-01'), decidedAt: new Date('2027-02-01'), paidAt: null, failedChecks: [], ...over }) as ClaimRow;

  it('when the claim is paid, then every step is done and the tracker is final', () => {
    const t = track(enrolment(), claim({ status: 'paid', paidAt: new Date('2027-02-10') }), null);
    expect(t.steps.map((s) => s.state)).toEqual(trackerSteps.map(() => 'done'));
    expect(t.steps.at(-1)!.at).toEqual(new Date('2027-02-10'));
    expect(t).toMatchObject({ final: true, next: null, why: [] });
  });

  it('when a paid claim is reversed, then the tracker is final and says the credit came back', () => {
    const t = track(enrolment(), claim({ status: 'reversed', paidAt: new Date('2027-02-10') }), null);
    expect(t).toMatchObject({ final: true, why: ['track.reversed'] });
  });

  it('when an approved claim is held because its provider is suspended, then it waits at the check with the reason and the decision date', () => {
    const hold = { reasonCode: 'provider_suspended' as const, reason: '', detail: null, since: '2027-02-02T00:00:00.000Z', decideBy: '2027-02-16T00:00:00.000Z', escalated: false, escalatedAt: null };
    const t = track(enrolment(), claim({ status: 'approved', onHold: true }), hold);
    expect(t.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'current', 'todo', 'todo']);
    expect(t).toMatchObject({ final: false, why: ['track.hold.provider_suspended'], next: { key: 'track.next.decision', at: new Date('2027-02-16T00:00:00.000Z') } });
  });
  it('when a modular enrolment has every module paid, then every step is done and it is final; with one module approved but unpaid it is not', () => {
    const modules = [{ title: 'One' }, { title: 'Two' }];
    const paid = claim({ status: 'paid', moduleOrdinal: 1, paidAt: new Date('2027-02-10') });
    const last = claim({ status: 'paid', moduleOrdinal: 2, decidedAt: new Date('2027-02-05'), paidAt: new Date('2027-02-12') });
    const all = trackModular(enrolment(), modules, new Map([[1, paid], [2, last]]), new Map());
    expect(all.steps.map((s) => s.state)).toEqual(trackerSteps.map(() => 'done'));
    expect(all.steps.find((s) => s.step === 'approved')!.at).toEqual(new Date('2027-02-05'));
    expect(all.steps.at(-1)!.at).toEqual(new Date('2027-02-12'));
    expect(all).toMatchObject({ final: true, next: null, why: [] });
    expect(all.modules.map((m) => m.state)).toEqual(['paid', 'paid']);
    const unpaid = trackModular(enrolment(), modules, new Map([[1, paid], [2, claim({ status: 'approved', moduleOrdinal: 2 })]]), new Map());
    expect(unpaid.final).toBe(false);
    expect(unpaid.steps.at(-1)!.state).toBe('current');
  });

  it('when every module of a modular enrolment is paid but the service has not completed it, then it is not approved and not final', () => {
    const modules = [{ title: 'One' }, { title: 'Two' }];
    const both = new Map([[1, claim({ status: 'paid', moduleOrdinal: 1 })], [2, claim({ status: 'paid', moduleOrdinal: 2 })]]);
    const t = trackModular(enrolment({ status: 'reserved', endReasonCode: null }), modules, both, new Map());
    expect(t.steps.find((s) => s.step === 'approved')!.state).toBe('todo');
    expect(t.final).toBe(false);
  });
});
