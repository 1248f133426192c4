import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

/** What a newcomer meets in the first hour: where `/` leads, how the docs say to get a token, and errors that say what is wrong. */

const h = useHarness();

const PROTECTED = '/v1/audit/verification';
const detailFor = async (authorization: string | undefined) => {
  const req = request(h.app).get(PROTECTED);
  const res = await (authorization === undefined ? req : req.set('Authorization', authorization));
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('unauthenticated');
  return res.body.detail as string;
};

describe('GET /', () => {
  it('when a browser opens the service, then / is the portal\'s front page with a way to sign in and to the API docs', async () => {
    const res = await request(h.app).get('/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('href="/sign-in"');
    expect(res.text).toContain('href="/docs"');
  });
});

describe('the docs page', () => {
  it('when the OpenAPI document is read, then its description says how to get a token and that JSON amounts are minor units', async () => {
    const { info } = (await request(h.app).get('/openapi.json')).body as { info: { description: string } };
    expect(info.description).toContain('npm run -s token -- --role admin');
    expect(info.description).toContain('--role citizen --learner <learnerId>');
    expect(info.description).toContain('--sub officer-2');
    expect(info.description).toMatch(/minor units/);
    expect(info.description).toMatch(/decimals/);
  });

  it('when POST /v1/claims is read, then its description says why another provider\'s enrolment answers enrolment not found', async () => {
    const doc = (await request(h.app).get('/openapi.json')).body as { paths: Record<string, { post?: { description?: string } }> };
    expect(doc.paths['/v1/claims']!.post!.description).toMatch(/another provider.*`enrolment not found`.*same as an id that does not exist/s);
  });
});

describe('bearer authentication messages', () => {
  it('when no Authorization header is sent, then it is asked for', async () => {
    expect(await detailFor(undefined)).toBe('send an Authorization: Bearer <JWT> header');
  });

  it.each([
    ['not a JWT', 'Bearer not-a-jwt'],
    ['four segments', 'Bearer a.b.c.d'],
    ['two spaces', 'Bearer  a.b.c'],
    ['segments that are not base64url JSON', 'Bearer aaaa.bbbb.cccc'],
  ])('when the bearer token is malformed (%s), then it is told the token is malformed, not to send a header', async (_name, header) => {
    const detail = await detailFor(header);
    expect(detail).toMatch(/^the bearer token is malformed/);
    expect(detail).not.toMatch(/send an Authorization/);
  });

  it('when the header uses another scheme, then it is told the scheme must be Bearer', async () => {
    expect(await detailFor(`Basic ${Buffer.from('finance:secret').toString('base64')}`)).toBe('the Authorization header uses the Basic scheme: it must be Bearer <JWT>');
  });

  it('when the header says Bearer and nothing else, then it is told the token is missing', async () => {
    expect(await detailFor('Bearer')).toMatch(/no token after Bearer|scheme/);
    expect(await detailFor('Bearer ')).toBe('the Authorization header has no token after Bearer');
  });
});
