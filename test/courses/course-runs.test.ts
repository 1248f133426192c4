import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { courseRuns } from '../../src/db/schema/index.js';
import { errorPaths, expectProblem } from '../http/expect-problem.js';
import { auditFor, expectRefusedUnchanged, insertScheme, providerApi } from '../providers/provider-fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

const run = {
  startsAt: '2027-03-01T09:00:00+08:00',
  endsAt: '2027-03-03T18:00:00+08:00',
  fee: '120000',
  currency: 'SGD',
  capacity: 20,
};

const storedRun = async (id: string) => (await h.database.db.select().from(courseRuns).where(eq(courseRuns.id, id)))[0];


describe('POST /v1/courses/{courseId}/runs', () => {
  it('when a provider schedules a run of its course, then it is stored scheduled with the fee in minor units, and audited', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const res = await api.as(p.token).post(`/v1/courses/${course.id}/runs`, run);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      courseId: course.id,
      providerId: p.id,
      startsAt: '2027-03-01T01:00:00.000Z',
      endsAt: '2027-03-03T10:00:00.000Z',
      fee: '120000',
      currency: 'SGD',
      capacity: 20,
      status: 'scheduled',
      phase: 'upcoming',
      cancelledReason: null,
      createdAt: h.clock.now().toISOString(),
    });
    expect(await storedRun(res.body.id)).toMatchObject({
      courseId: course.id,
      providerId: p.id,
      fee: 120000n,
      startsAt: new Date('2027-03-01T01:00:00Z'),
      status: 'scheduled',
    });
    const [event] = await auditFor(h, res.body.id, 'course_run.created');
    expect(event).toMatchObject({ entityType: 'course_run', details: { courseId: course.id, fee: '120000', currency: 'SGD' } });
  });

  it('when the run is free, then a fee of 0 is accepted', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const res = await api.as(p.token).post(`/v1/courses/${course.id}/runs`, { ...run, fee: 0 });
    expect(res.status).toBe(201);
    expect(res.body.fee).toBe('0');
  });

  it('when endsAt is before startsAt, then 422 names endsAt and nothing is stored', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const res = await expectRefusedUnchanged(
      h,
      () => api.as(p.token).post(`/v1/courses/${course.id}/runs`, { ...run, endsAt: '2027-02-28T09:00:00+08:00' }),
      422,
      'validation_failed',
    );
    expect(res.body.errors).toEqual([{ path: 'body.endsAt', message: 'must be after startsAt' }]);
  });

  it('when the fee is negative, as a string or a number, then 422 names fee and nothing is stored', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    for (const fee of ['-100', -100, '12.50']) {
      const res = await expectRefusedUnchanged(h, () => api.as(p.token).post(`/v1/courses/${course.id}/runs`, { ...run, fee }), 422, 'validation_failed');
      expect(errorPaths(res)).toEqual(['body.fee']);
    }
  });

  it('when capacity is 0, the currency unknown, a date has no zone and a field is extra, then 422 names each', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const res = await expectRefusedUnchanged(
      h,
      () =>
        api.as(p.token).post(`/v1/courses/${course.id}/runs`, { ...run, capacity: 0, currency: 'XYZ', startsAt: '2027-03-01 09:00', venue: 'Online' }),
      422,
      'validation_failed',
    );
    expect(errorPaths(res)).toEqual(['body', 'body.capacity', 'body.currency', 'body.startsAt']);
  });

  it("when a provider adds a run to another provider's course, then 404 and nothing is stored", async () => {
    const a = await api.provider();
    const b = await api.provider();
    const scheme = await insertScheme(h);
    const theirs = await api.course(b.token);
    await api.approve(theirs.id, scheme.id); // visible to A, still not A's to schedule
    await expectRefusedUnchanged(h, () => api.as(a.token).post(`/v1/courses/${theirs.id}/runs`, run), 404, 'not_found');
    await expectRefusedUnchanged(h, () => api.as(a.token).post(`/v1/courses/${randomUUID()}/runs`, run), 404, 'not_found');
  });

  it('when a suspended provider schedules a run, then 403', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    await api.as(api.admin).patch(`/v1/providers/${p.id}`, { status: 'suspended', reason: 'unpaid levy' });
    await expectRefusedUnchanged(h, () => api.as(p.token).post(`/v1/courses/${course.id}/runs`, run), 403, 'forbidden');
  });
});

describe('GET /v1/courses/{courseId}/runs', () => {
  it('when a citizen lists runs of an approved course, then they come in start order, paged; an unapproved course is 404', async () => {
    const p = await api.provider();
    const scheme = await insertScheme(h);
    const approved = await api.course(p.token);
    const draft = await api.course(p.token);
    await api.approve(approved.id, scheme.id);
    const later = await api.run(p.token, approved.id, { startsAt: '2027-05-01T09:00:00Z', endsAt: '2027-05-02T09:00:00Z' });
    const sooner = await api.run(p.token, approved.id, { startsAt: '2027-04-01T09:00:00Z', endsAt: '2027-04-02T09:00:00Z' });
    const latest = await api.run(p.token, approved.id, { startsAt: '2027-06-01T09:00:00Z', endsAt: '2027-06-02T09:00:00Z' });
    await api.run(p.token, draft.id);

    const citizen = await h.token('citizen', { learnerId: randomUUID() });
    const first = await api.as(citizen).get(`/v1/courses/${approved.id}/runs?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual([sooner.id, later.id]);
    const second = await api.as(citizen).get(`/v1/courses/${approved.id}/runs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ items: [{ id: latest.id }], nextCursor: null });
    expectProblem(await api.as(citizen).get(`/v1/courses/${draft.id}/runs`), 404, 'not_found');
  });

  it("when a provider lists runs of another provider's unapproved course, then 404", async () => {
    const a = await api.provider();
    const b = await api.provider();
    const theirs = await api.course(b.token);
    await api.run(b.token, theirs.id);
    expectProblem(await api.as(a.token).get(`/v1/courses/${theirs.id}/runs`), 404, 'not_found');
  });
});

describe('POST /v1/course-runs/{runId}/cancel', () => {
  it('when a provider cancels its run with a reason, then it is cancelled with the reason and audited; cancelling again is 409', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheduled = await api.run(p.token, course.id);
    const res = await api.as(p.token).post(`/v1/course-runs/${scheduled.id}/cancel`, { reason: 'trainer unavailable' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: scheduled.id, status: 'cancelled', phase: 'cancelled', cancelledReason: 'trainer unavailable' });
    expect(await storedRun(scheduled.id)).toMatchObject({ status: 'cancelled', cancelledReason: 'trainer unavailable' });
    const [event] = await auditFor(h, scheduled.id, 'course_run.cancelled');
    expect(event?.details).toMatchObject({ reason: 'trainer unavailable', courseId: course.id });

    await expectRefusedUnchanged(h, () => api.as(p.token).post(`/v1/course-runs/${scheduled.id}/cancel`, { reason: 'again' }), 409, 'invalid_state');
  });

  it('when no reason is given, then 422 names reason and the run stays scheduled', async () => {
    const p = await api.provider();
    const scheduled = await api.run(p.token, (await api.course(p.token)).id);
    const res = await expectRefusedUnchanged(h, () => api.as(p.token).post(`/v1/course-runs/${scheduled.id}/cancel`, { reason: ' ' }), 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.reason']);
    expect((await storedRun(scheduled.id))?.status).toBe('scheduled');
  });

  it("when a provider cancels another provider's run, then 404 and the run stays scheduled", async () => {
    const a = await api.provider();
    const b = await api.provider();
    const theirs = await api.run(b.token, (await api.course(b.token)).id);
    await expectRefusedUnchanged(h, () => api.as(a.token).post(`/v1/course-runs/${theirs.id}/cancel`, { reason: 'sabotage' }), 404, 'not_found');
    expect((await storedRun(theirs.id))?.status).toBe('scheduled');
  });

  it('when an admin or a citizen tries to cancel a run, then 403', async () => {
    const p = await api.provider();
    const scheduled = await api.run(p.token, (await api.course(p.token)).id);
    for (const token of [api.admin, await h.token('citizen', { learnerId: randomUUID() })]) {
      expectProblem(await api.as(token).post(`/v1/course-runs/${scheduled.id}/cancel`, { reason: 'x' }), 403, 'forbidden');
    }
  });
});

describe('a run on the clock', () => {
  it('when time passes, then a scheduled run is upcoming, then running, then ended, while its status stays scheduled', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const created = (await api.run(p.token, course.id)) as unknown as { id: string; startsAt: string; endsAt: string };
    const phase = async () => {
      const runs = (await api.as(p.token).get(`/v1/courses/${course.id}/runs`)).body.items as { id: string; status: string; phase: string }[];
      const r = runs.find((x) => x.id === created.id)!;
      return `${r.status}/${r.phase}`;
    };
    expect(await phase()).toBe('scheduled/upcoming');
    h.clock.set(new Date(new Date(created.startsAt).getTime() + 60_000));
    expect(await phase()).toBe('scheduled/running');
    h.clock.set(new Date(new Date(created.endsAt).getTime() + 60_000));
    expect(await phase()).toBe('scheduled/ended');
  });
});
