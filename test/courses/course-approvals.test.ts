import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { courseApprovals } from '../../src/db/schema/index.js';
import { errorPaths, expectProblem } from '../http/expect-problem.js';
import { auditFor, insertScheme, providerApi, snapshotCounts } from '../providers/provider-fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

const approvalRows = (courseId: string, schemeId: string) =>
  h.database.db
    .select()
    .from(courseApprovals)
    .where(and(eq(courseApprovals.courseId, courseId), eq(courseApprovals.schemeId, schemeId)));

describe('POST /v1/courses/{courseId}/approvals', () => {
  it('when an admin approves a course for a scheme, then 201, the approval is stored and audited, and the course shows it', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h);
    const res = await api.as(api.admin).post(`/v1/courses/${course.id}/approvals`, { schemeId: scheme.id });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ courseId: course.id, schemeId: scheme.id, approvedAt: h.clock.now().toISOString(), approvedBy: 'admin-test' });
    expect(await approvalRows(course.id, scheme.id)).toHaveLength(1);
    const [event] = await auditFor(h, course.id, 'course.approved');
    expect(event).toMatchObject({ actorRole: 'admin', details: { schemeId: scheme.id } });
    expect((await api.as(p.token).get(`/v1/courses/${course.id}`)).body.approvedSchemeIds).toEqual([scheme.id]);
  });

  it('when the same approval is asked for again, then 200 with the first approval and nothing new is written', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h);
    const first = await api.as(api.admin).post(`/v1/courses/${course.id}/approvals`, { schemeId: scheme.id });
    h.clock.advance(60_000);
    const before = await snapshotCounts(h);
    const again = await api.as(api.admin).post(`/v1/courses/${course.id}/approvals`, { schemeId: scheme.id });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await snapshotCounts(h)).toEqual(before);
  });

  it('when the scheme or the course does not exist, then 404 and nothing is stored', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h);
    const before = await snapshotCounts(h);
    const noScheme = await api.as(api.admin).post(`/v1/courses/${course.id}/approvals`, { schemeId: randomUUID() });
    expectProblem(noScheme, 404, 'not_found');
    expect(noScheme.body.detail).toMatch(/scheme/);
    expectProblem(await api.as(api.admin).post(`/v1/courses/${randomUUID()}/approvals`, { schemeId: scheme.id }), 404, 'not_found');
    expect(await snapshotCounts(h)).toEqual(before);
  });

  it('when the scheme is closed, then 409 invalid_state', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h, { status: 'closed' });
    expectProblem(await api.as(api.admin).post(`/v1/courses/${course.id}/approvals`, { schemeId: scheme.id }), 409, 'invalid_state');
    expect(await approvalRows(course.id, scheme.id)).toHaveLength(0);
  });

  it('when the schemeId is not a UUID or a field is extra, then 422 names it', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const res = await api.as(api.admin).post(`/v1/courses/${course.id}/approvals`, { schemeId: 'sfc', note: 'x' });
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body', 'body.schemeId']);
  });

  it('when a provider tries to approve its own course, then 403 and nothing is stored', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h);
    expectProblem(await api.as(p.token).post(`/v1/courses/${course.id}/approvals`, { schemeId: scheme.id }), 403, 'forbidden');
    expect(await approvalRows(course.id, scheme.id)).toHaveLength(0);
  });
});

describe('DELETE /v1/courses/{courseId}/approvals/{schemeId}', () => {
  it('when an admin withdraws an approval, then it is gone, audited, and citizens no longer see the course', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h);
    await api.approve(course.id, scheme.id);
    const citizen = await h.token('citizen', { learnerId: randomUUID() });
    expect((await api.as(citizen).get(`/v1/courses/${course.id}`)).status).toBe(200);

    const res = await api.as(api.admin).delete(`/v1/courses/${course.id}/approvals/${scheme.id}`);
    expect(res.status).toBe(204);
    expect(await approvalRows(course.id, scheme.id)).toHaveLength(0);
    expect(await auditFor(h, course.id, 'course.approval_revoked')).toHaveLength(1);
    expectProblem(await api.as(citizen).get(`/v1/courses/${course.id}`), 404, 'not_found');

    expectProblem(await api.as(api.admin).delete(`/v1/courses/${course.id}/approvals/${scheme.id}`), 404, 'not_found');
  });

  it('when a provider tries to withdraw an approval, then 403 and it stays', async () => {
    const p = await api.provider();
    const course = await api.course(p.token);
    const scheme = await insertScheme(h);
    await api.approve(course.id, scheme.id);
    expectProblem(await api.as(p.token).delete(`/v1/courses/${course.id}/approvals/${scheme.id}`), 403, 'forbidden');
    expect(await approvalRows(course.id, scheme.id)).toHaveLength(1);
  });
});
