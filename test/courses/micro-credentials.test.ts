import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorPaths, expectProblem } from '../http/expect-problem.js';
import { providerApi, snapshotCounts } from '../providers/provider-fixtures.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let api: Awaited<ReturnType<typeof providerApi>>;

beforeAll(async () => {
  api = await providerApi(h);
});

const microCredential = {
  credits: { value: '2.5', system: 'ECTS' },
  level: { framework: 'MQF', value: 4 },
  skills: ['http://data.europa.eu/esco/skill/25f0ea33-1ae2-4fa0-9e7c-5ff4d4b0c8f2', 'sfw:DAT-ANA-3001-1.1', 'https://skills.example/skill/42'],
  assessmentType: 'Proctored online exam',
  participationForm: 'blended',
  qualityAssurance: 'MQA accredited programme',
  learningOutcomes: ['Cleans and joins tabular data with SQL', 'Presents findings in a dashboard'],
  awardingCountry: 'MY-10',
};
const course = (over: Record<string, unknown> = {}) => ({
  code: `MC-${randomUUID().slice(0, 8)}`, title: 'Data Analytics', category: 'data-analytics', hours: 60, microCredential, ...over,
});

describe('a course records what its micro-credential is', () => {
  it('when a provider lists a course with every EU element, then they round-trip exactly on create and read', async () => {
    const p = await api.provider();
    const res = await api.as(p.token).post('/v1/courses', course());
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ hours: 60, microCredential });
    const read = await request(h.app).get(`/v1/courses/${res.body.id}`).set('authorization', `Bearer ${p.token}`);
    expect(read.body.microCredential).toEqual(microCredential);
  });

  it('when a course is plain training, then its microCredential is null and credits and skills stay optional inside one', async () => {
    const p = await api.provider();
    const plain = await api.as(p.token).post('/v1/courses', course({ microCredential: undefined }));
    expect(plain.status).toBe(201);
    expect(plain.body.microCredential).toBeNull();
    const { credits: _credits, skills: _skills, ...bare } = microCredential;
    const minimal = await api.as(p.token).post('/v1/courses', course({ microCredential: bare }));
    expect(minimal.status, minimal.text).toBe(201);
    expect(minimal.body.microCredential).toEqual({ ...bare, skills: [] });
  });

  it('when an element is invalid (a bad ESCO URI, level 9, negative hours, an unknown form), then 422 names each field and nothing is stored', async () => {
    const p = await api.provider();
    const before = await snapshotCounts(h);
    const res = await api.as(p.token).post('/v1/courses', course({
      hours: -5,
      microCredential: {
        ...microCredential,
        skills: ['http://data.europa.eu/esco/skill/not-a-uuid', 'sql'],
        level: { framework: 'EQF', value: 9 },
        participationForm: 'correspondence',
        awardingCountry: 'Malaysia',
        credits: { value: '-1', system: 'ECTS' },
      },
    }));
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual([
      'body.hours',
      'body.microCredential.awardingCountry',
      'body.microCredential.credits.value',
      'body.microCredential.level.value',
      'body.microCredential.participationForm',
      'body.microCredential.skills.0',
      'body.microCredential.skills.1',
    ]);
    expect(await snapshotCounts(h)).toEqual(before);
  });

  it('when a claimable micro-credential lacks an EU-mandatory element, then 422 names it', async () => {
    const p = await api.provider();
    const { learningOutcomes: _lo, qualityAssurance: _qa, ...partial } = microCredential;
    const res = await api.as(p.token).post('/v1/courses', course({ microCredential: { ...partial, learningOutcomes: [] } }));
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.microCredential.learningOutcomes', 'body.microCredential.qualityAssurance']);
  });
});
