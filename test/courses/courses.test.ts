import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { courses } from '../../src/db/schema/index.js';
import { errorPaths, expectProblem } from '../http/expect-problem.js';
import { auditFor, insertScheme, providerApi, snapshotCounts } from '../providers/provider-fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;
let citizen: string;

beforeAll(async () => {
  api = await providerApi(h);
  citizen = await h.token('citizen', { learnerId: randomUUID() });
});

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((c) => c.id);

describe('POST /v1/courses', () => {
  it('when a provider lists a course, then it is stored under that provider, unapproved, and audited', async () => {
    const p = await api.provider();
    const res = await api.as(p.token).post('/v1/courses', {
      code: 'TGS-2027001234',
      title: 'Data Analytics with Python',
      category: 'data-analytics',
      skills: ['python', 'pandas'],
      hours: 24,
      description: 'Three days of hands-on analysis.',
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/courses/${res.body.id}`);
    expect(res.body).toMatchObject({
      providerId: p.id,
      code: 'TGS-2027001234',
      skills: ['python', 'pandas'],
      hours: 24,
      approvedSchemeIds: [],
      createdAt: h.clock.now().toISOString(),
    });
    const [row] = await h.database.db.select().from(courses).where(eq(courses.id, res.body.id));
    expect(row).toMatchObject({ providerId: p.id, code: 'TGS-2027001234', category: 'data-analytics', skills: ['python', 'pandas'] });
    const [event] = await auditFor(h, res.body.id, 'course.created');
    expect(event).toMatchObject({ entityType: 'course', actorRole: 'provider', details: { providerId: p.id } });
  });

  it('when a field is invalid or extra, then 422 names each one and nothing is stored', async () => {
    const p = await api.provider();
    const before = await snapshotCounts(h);
    const res = await api.as(p.token).post('/v1/courses', {
      code: 'C-1',
      title: '',
      category: 'Data Analytics',
      skills: ['python', 'python'],
      hours: 0,
      providerId: randomUUID(),
    });
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body', 'body.category', 'body.hours', 'body.skills', 'body.title']);
    expect(res.body.errors.find((e: { path: string }) => e.path === 'body').message).toMatch(/providerId/);
    expect(await snapshotCounts(h)).toEqual(before);
  });

  it('when the provider already has a course with that code, then 409; another provider may use the code', async () => {
    const a = await api.provider();
    const b = await api.provider();
    await api.course(a.token, { code: 'SAME-1' });
    expectProblem(await api.as(a.token).post('/v1/courses', { code: 'SAME-1', title: 'T', category: 'x', hours: 1 }), 409, 'conflict');
    expect((await api.course(b.token, { code: 'SAME-1' })).providerId).toBe(b.id);
  });

  it('when a suspended or unregistered provider lists a course, then 403 and nothing is stored', async () => {
    const p = await api.provider();
    await api.as(api.admin).patch(`/v1/providers/${p.id}`, { status: 'suspended', reason: 'fraud investigation' });
    const ghost = await h.token('provider', { providerId: randomUUID() });
    const body = { code: 'X-1', title: 'T', category: 'x', hours: 1 };
    const before = await snapshotCounts(h);
    expectProblem(await api.as(p.token).post('/v1/courses', body), 403, 'forbidden');
    expectProblem(await api.as(ghost).post('/v1/courses', body), 403, 'forbidden');
    expect(await snapshotCounts(h)).toEqual(before);
  });

  it('when an admin or citizen tries to list a course, then 403', async () => {
    for (const token of [api.admin, citizen]) {
      expectProblem(await api.as(token).post('/v1/courses', { code: 'X-2', title: 'T', category: 'x', hours: 1 }), 403, 'forbidden');
    }
  });
});

describe('course visibility', () => {
  it('when a citizen looks for courses, then only courses approved for a scheme are listed or readable', async () => {
    const p = await api.provider();
    const scheme = await insertScheme(h);
    const approved = await api.course(p.token, { title: 'Approved Course' });
    const unapproved = await api.course(p.token, { title: 'Unapproved Course' });
    await api.approve(approved.id, scheme.id);

    const list = await api.as(citizen).get(`/v1/courses?providerId=${p.id}`);
    expect(list.status).toBe(200);
    expect(ids(list)).toEqual([approved.id]);
    expect(list.body.items[0].approvedSchemeIds).toEqual([scheme.id]);
    expect((await api.as(citizen).get(`/v1/courses/${approved.id}`)).status).toBe(200);
    expectProblem(await api.as(citizen).get(`/v1/courses/${unapproved.id}`), 404, 'not_found');
  });

  it("when a provider looks, then it sees its own courses and approved ones, never another provider's unapproved course", async () => {
    const a = await api.provider();
    const b = await api.provider();
    const scheme = await insertScheme(h);
    const ownDraft = await api.course(a.token);
    const otherApproved = await api.course(b.token);
    const otherDraft = await api.course(b.token);
    await api.approve(otherApproved.id, scheme.id);

    const mine = await api.as(a.token).get(`/v1/courses?providerId=${a.id}`);
    expect(ids(mine)).toEqual([ownDraft.id]);
    const theirs = await api.as(a.token).get(`/v1/courses?providerId=${b.id}`);
    expect(ids(theirs)).toEqual([otherApproved.id]);
    expectProblem(await api.as(a.token).get(`/v1/courses/${otherDraft.id}`), 404, 'not_found');
    expect((await api.as(a.token).get(`/v1/courses/${ownDraft.id}`)).status).toBe(200);
  });

  it('when admin or finance look, then they see unapproved courses too', async () => {
    const p = await api.provider();
    const draft = await api.course(p.token);
    for (const token of [api.admin, await h.token('finance')]) {
      expect(ids(await api.as(token).get(`/v1/courses?providerId=${p.id}`))).toEqual([draft.id]);
      expect((await api.as(token).get(`/v1/courses/${draft.id}`)).body.id).toBe(draft.id);
    }
  });
});

describe('GET /v1/courses filters and pages', () => {
  it('when filtered by category, scheme and title words, then only matching courses come back', async () => {
    const p = await api.provider();
    const s1 = await insertScheme(h);
    const s2 = await insertScheme(h);
    const python = await api.course(p.token, { title: 'Practical PYTHON for Finance', category: 'programming' });
    const excel = await api.course(p.token, { title: 'Excel 100% Mastery', category: 'office-tools' });
    const cooking = await api.course(p.token, { title: 'Cooking_Basics', category: 'culinary' });
    await api.approve(python.id, s1.id);
    await api.approve(excel.id, s1.id);
    await api.approve(excel.id, s2.id);

    const get = async (query: string) => ids(await api.as(api.admin).get(`/v1/courses?providerId=${p.id}&${query}`));
    expect(await get('category=programming')).toEqual([python.id]);
    expect(await get(`schemeId=${s2.id}`)).toEqual([excel.id]);
    expect((await get(`schemeId=${s1.id}`)).sort()).toEqual([python.id, excel.id].sort());
    expect(await get('q=python')).toEqual([python.id]);
    // LIKE wildcards in the search text are matched literally.
    expect(await get('q=100%25')).toEqual([excel.id]);
    expect(await get('q=g_b')).toEqual([cooking.id]);
    expect(await get('q=%25')).toEqual([excel.id]);
    const excelView = (await api.as(api.admin).get(`/v1/courses/${excel.id}`)).body;
    expect([...excelView.approvedSchemeIds].sort()).toEqual([s1.id, s2.id].sort());
  });

  it('when a list is paged, then every course appears once in (created, id) order', async () => {
    const p = await api.provider();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await api.course(p.token)).id);
      if (i % 2 === 0) h.clock.advance(1_000); // some share a created_at, so the id breaks the tie
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.as(p.token).get(`/v1/courses?providerId=${p.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...ids(res));
      cursor = res.body.nextCursor;
    } while (cursor);
    const ordered = await h.database.pool.query<{ id: string }>('select id from courses where provider_id = $1 order by created_at, id', [p.id]);
    expect(seen).toEqual(ordered.rows.map((r) => r.id));
    expect([...seen].sort()).toEqual([...created].sort());
  });

  it('when a query parameter is unknown or malformed, then 422 names it', async () => {
    const res = await api.as(api.admin).get('/v1/courses?schemeId=nope&sort=title');
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['query', 'query.schemeId']);
  });
});
