import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/maintenance.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { relayOutbox } from '../../src/modules/events/relay.js';
import type { NoticeChannel, NoticeMessage } from '../../src/modules/notices/notice-channel.js';
import { noticesConsumer } from '../../src/modules/notices/notices.consumer.js';
import { sendNotice } from '../../src/modules/notices/send-notice.js';
import { noticeText } from '../../src/web/notices/notice-text.js';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { ensureEvent, noticesOf, setContact } from './support.js';

const h = useHarness();
const DAY = 86_400_000;
let world: Awaited<ReturnType<typeof catalogue>>;
let prakerja: Awaited<ReturnType<typeof catalogue>>;
const sent: { to: string; message: NoticeMessage }[] = [];
const inbox: NoticeChannel = { send: async (to, message) => void sent.push({ to, message }) };
let deps: ServiceDeps;

beforeAll(async () => {
  world = await catalogue(h);
  // Prakerja-style: a first purchase within 15 days or the credit lapses.
  prakerja = await catalogue(h, { rules: { firstUseDeadlineDays: 15 } });
  deps = { ...h.deps, noticeChannels: { email: inbox } };
});
const BASE = new Date('2027-01-05T02:00:00Z');
beforeEach(() => h.clock.set(BASE));
afterAll(() => h.clock.set(BASE));

/** The relay and the notices' jobs, run here in the test's order instead of by a worker. */
async function deliver() {
  const queued: string[] = [];
  await relayOutbox(deps, [noticesConsumer({ enqueue: async (_tx, _q, data) => void queued.push((data as { noticeId: string }).noticeId) }, deps.noticeChannels!, () => h.clock.now())]);
  for (const id of queued) await sendNotice(deps, deps.noticeChannels!, noticeText, id, { maxAttempts: 4 });
}

const scanEvents = async (learnerId: string) =>
  (await h.database.pool.query(`select type, data->>'days' as days from outbox_events where learner_id = $1 and dedupe_key is not null order by seq`, [learnerId])).rows;

describe('deadline scans', () => {
  it('when a grant nears its expiry, then it is told at 30 and at 7 days before, each once, however often maintenance runs', async () => {
    const start = h.clock.now();
    const learner = await world.learnerWithCredit('0');
    const grant = await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '40000', expiresAt: new Date(start.getTime() + 40 * DAY).toISOString() });
    expect(grant.status).toBe(201);
    await setContact(h, learner.token, { email: `expiry-${learner.id.slice(0, 8)}@example.test`, emailNotices: true, language: 'en' });
    await runMaintenance(h.deps);
    expect(await scanEvents(learner.id)).toEqual([]);

    h.clock.set(new Date(start.getTime() + 11 * DAY));
    await runMaintenance(h.deps);
    await runMaintenance(h.deps);
    expect(await scanEvents(learner.id)).toEqual([{ type: 'grant.expiring', days: '30' }]);

    h.clock.set(new Date(start.getTime() + 34 * DAY));
    await runMaintenance(h.deps);
    await runMaintenance(h.deps);
    expect(await scanEvents(learner.id)).toEqual([{ type: 'grant.expiring', days: '30' }, { type: 'grant.expiring', days: '7' }]);

    await deliver();
    await deliver();
    const mine = sent.filter((s) => s.to.startsWith('expiry-'));
    expect(mine.map((s) => s.message.subject)).toEqual(['Your Test Credit credit expires in 30 days', 'Your Test Credit credit expires in 7 days']);
    expect(mine[1]!.message.text).toContain('You have $400.00 of Test Credit credit left. It expires on 14 February 2027');
    expect((await noticesOf(h, learner.id)).map((n) => n.status)).toEqual(['sent', 'sent']);
  });

  it('when a grant has no credit left, then no expiry notice is recorded', async () => {
    const start = h.clock.now();
    const learner = await world.learnerWithCredit('0');
    await world.api.grant(learner.id, { schemeId: world.scheme.id, amount: '20000', expiresAt: new Date(start.getTime() + 20 * DAY).toISOString() });
    const runId = await world.run('20000', { startsInDays: 5 });
    expect((await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId })).status).toBe(201);
    await runMaintenance(h.deps);
    expect(await scanEvents(learner.id)).toEqual([]);
  });

  it('when a first-use deadline is 5 days away and the credit is unused, then it is told once; a used grant is not', async () => {
    const start = h.clock.now();
    const unused = await prakerja.learnerWithCredit('350000');
    const used = await prakerja.learnerWithCredit('350000');
    await setContact(h, unused.token, { email: `firstuse-${unused.id.slice(0, 8)}@example.test`, emailNotices: true, language: 'id' });
    const runId = await prakerja.run('1000', { startsInDays: 30 });
    expect((await asCitizen(h, used.token).post('/v1/me/enrolments', { courseRunId: runId })).status).toBe(201);
    h.clock.set(new Date(start.getTime() + 9 * DAY));
    await runMaintenance(h.deps);
    expect(await scanEvents(unused.id)).toEqual([]);
    h.clock.set(new Date(start.getTime() + 11 * DAY));
    await runMaintenance(h.deps);
    await runMaintenance(h.deps);
    expect(await scanEvents(unused.id)).toEqual([{ type: 'grant.first_use_due', days: '5' }]);
    expect(await scanEvents(used.id)).toEqual([]);
    await deliver();
    const mine = sent.filter((s) => s.to.startsWith('firstuse-'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.message.subject).toBe('Gunakan saldo Test Credit Anda paling lambat 20 Januari 2027');
    expect(mine[0]!.message.text).toContain('sebesar SGD\u00a03.500,00 hangus');
  });

  it('when a consent request lapses in 2 days, then the learner is reminded once; an answered request is not', async () => {
    const start = h.clock.now();
    const waiting = await world.learnerWithCredit('50000');
    const answered = await world.learnerWithCredit('50000');
    await setContact(h, waiting.token, { email: `remind-${waiting.id.slice(0, 8)}@example.test`, emailNotices: true, language: 'en' });
    const runId = await world.run('10000', { startsInDays: 60 });
    const requested = await world.asProvider('/v1/enrolments', { learnerId: waiting.id, courseRunId: runId });
    const other = await world.asProvider('/v1/enrolments', { learnerId: answered.id, courseRunId: runId });
    expect((await asCitizen(h, answered.token).post(`/v1/me/enrolments/${other.body.id}/decline`)).status).toBe(200);
    await ensureEvent(h, { type: 'enrolment.requested', subject: { type: 'enrolment', id: requested.body.id }, learnerId: waiting.id, providerId: world.providerId });
    h.clock.set(new Date(start.getTime() + 11 * DAY));
    await runMaintenance(h.deps);
    expect(await scanEvents(waiting.id)).toEqual([]);
    h.clock.set(new Date(start.getTime() + 12 * DAY + 60_000));
    await runMaintenance(h.deps);
    await runMaintenance(h.deps);
    expect(await scanEvents(waiting.id)).toEqual([{ type: 'enrolment.consent_due', days: null }]);
    expect(await scanEvents(answered.id)).toEqual([]);
    await deliver();
    await deliver();
    const mine = sent.filter((s) => s.to.startsWith('remind-'));
    expect(mine.map((s) => s.message.subject)).toEqual([expect.stringMatching(/asks to enrol you on/), expect.stringMatching(/^Reminder: answer Academy \w+ by \d+ \w+ 2027$/)]);
    expect(mine[1]!.message.text).toContain('If you do not answer by');
  });
});

describe('a notice whose news is stale by the time it is sent', () => {
  it('when the learner answers the request between the reminder\'s scan and its sending, then no reminder is sent', async () => {
    const start = h.clock.now();
    const learner = await world.learnerWithCredit('50000');
    await setContact(h, learner.token, { email: `stale-${learner.id.slice(0, 8)}@example.test`, emailNotices: true, language: 'en' });
    const runId = await world.run('10000', { startsInDays: 60 });
    const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
    h.clock.set(new Date(start.getTime() + 12 * DAY + 60_000));
    await runMaintenance(h.deps);
    expect(await scanEvents(learner.id)).toEqual([{ type: 'enrolment.consent_due', days: null }]);
    expect((await asCitizen(h, learner.token).post(`/v1/me/enrolments/${requested.body.id}/consent`)).status).toBe(200);
    await deliver();
    expect(sent.filter((s) => s.to.startsWith('stale-'))).toEqual([]);
    expect((await noticesOf(h, learner.id)).filter((n) => n.event_type === 'enrolment.consent_due')).toMatchObject([{ status: 'failed', last_error: 'no_longer_applies' }]);
  });
});
