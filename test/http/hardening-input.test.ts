import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/http/idempotency.js';
import { MAX_JSON_DEPTH } from '../../src/http/json.js';
import { newSigner } from '../claims/credential-fixtures.js';
import { adminApi } from '../support/fixtures.js';
import { useHarness } from '../support/harness.js';
import { snapshotTables, statementCsv } from '../robustness/world.js';
import { errorPaths, expectProblem } from './expect-problem.js';

/**
 * Issue 12, items 4, 5 (NUL, deep JSON) and 8: the body is read only once
 * the caller may call the route, within the route's own limit; NUL and lone
 * surrogates are refused wherever they arrive; JSON nests at most 64 deep;
 * money as a JSON number is a plain safe integer; JSON is UTF-8.
 */

const h = useHarness();
let api: Awaited<ReturnType<typeof adminApi>>;
let server: http.Server;
let port: number;
let schemeId: string;
let providerId: string;
let finance: string;

beforeAll(async () => {
  api = await adminApi(h);
  schemeId = (await api.scheme()).id;
  const provider = await api.post('/v1/providers', {
    legalName: 'Hardening Academy', registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
    contactEmail: 'ops@academy.example', bankAccount: { accountName: 'Hardening Academy', bankCode: '7171', accountNumber: '0123456789' },
  });
  expect(provider.status, provider.text).toBe(201);
  providerId = provider.body.id as string;
  finance = await h.token('finance', { sub: 'officer-hardening' });
  server = http.createServer(h.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

/** POST /v1/courses as the file's provider with a raw JSON text, for inputs JSON.stringify cannot write. */
async function postCourseText(text: string) {
  const provider = await h.token('provider', { providerId });
  return request(h.app)
    .post('/v1/courses')
    .set('Authorization', `Bearer ${provider}`)
    .set('Idempotency-Key', randomUUID())
    .set('Content-Type', 'application/json')
    .send(text);
}

interface EarlyAnswer {
  status: number;
  body: Record<string, unknown>;
  connection: string | undefined;
  /** Bytes of the body written when the answer came. */
  sent: number;
}

/**
 * Declares a body of `declared` bytes, writes only its first 64 KB and waits:
 * a server that reads the body before deciding never answers (it waits for
 * the rest), one that decides first answers now.
 */
function answerBeforeTheBody(path: string, headers: Record<string, string>, declared: number): Promise<EarlyAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { ...headers, 'content-length': String(declared) } });
    let sent = 0;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer after ${sent} of ${declared} bytes: the server is waiting for the body`));
    }, 5_000);
    req.on('error', () => {
      // The server closes the connection after refusing: writes after that fail, and are not the point.
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), connection: res.headers.connection, sent });
      });
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    req.write(chunk);
    sent += chunk.length;
  });
}

const MB = 1024 * 1024;

describe('POST /v1/bank-statements: the body is read only after the caller is known', () => {
  it('when an anonymous caller declares 50 MB, then 401 comes at once, while only 64 KB were sent, and the connection is closed', async () => {
    const res = await answerBeforeTheBody('/v1/bank-statements', { 'content-type': 'text/csv', 'idempotency-key': randomUUID() }, 50 * MB);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthenticated');
    expect(res.sent).toBe(64 * 1024);
    expect(res.connection).toBe('close');
  });

  it('when a provider (a role that may not import) declares 50 MB, then 403 comes at once, before the body', async () => {
    const provider = await h.token('provider', { providerId });
    const res = await answerBeforeTheBody(
      '/v1/bank-statements',
      { authorization: `Bearer ${provider}`, 'content-type': 'application/xml', 'idempotency-key': randomUUID() },
      50 * MB,
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    expect(res.sent).toBe(64 * 1024);
  });

  it('when a finance officer declares more than the route\'s 64mb, then 413 names 64mb at once, before the body', async () => {
    const res = await answerBeforeTheBody(
      '/v1/bank-statements',
      { authorization: `Bearer ${finance}`, 'content-type': 'text/csv', 'idempotency-key': randomUUID() },
      65 * MB,
    );
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'payload_too_large', limit: '64mb' });
    expect(res.body.detail).toMatch(/64mb/);
  });

  it('when a finance officer sends a statement larger than the JSON default (300 KB), then it is read under the route\'s own limit', async () => {
    const rows = Array.from({ length: 6_000 }, (_, i) => [`LCnotapaymentline${String(i).padStart(20, '0')}`, '1.00', 'SGD', 'DBIT', 'payment'] as [string, string, string, 'DBIT', 'payment']);
    const csv = statementCsv(rows);
    expect(csv.length).toBeGreaterThan(300 * 1024);
    const res = await request(h.app).post('/v1/bank-statements').set('Authorization', `Bearer ${finance}`).set('Idempotency-Key', randomUUID()).type('text/csv').send(csv);
    expect(res.status, res.text.slice(0, 300)).toBe(201);
    expect(res.body.lines).toBe(6_000);
  });
});

describe('JSON routes: the same order, and the default limit', () => {
  it('when an anonymous caller declares a 50 MB JSON body, then 401 comes at once, before the body', async () => {
    const res = await answerBeforeTheBody('/v1/schemes', { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, 50 * MB);
    expect(res.status).toBe(401);
    expect(res.sent).toBe(64 * 1024);
  });

  it('when an admin sends JSON over the 256kb default, then 413 payload_too_large names 256kb', async () => {
    const res = await request(h.app)
      .post('/v1/schemes')
      .set('Authorization', `Bearer ${api.admin}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(300 * 1024) }));
    const body = expectProblem(res, 413, 'payload_too_large');
    expect(body.detail).toMatch(/256kb/);
    expect(body.limit).toBe('256kb');
  });

  it('when a chunked JSON body (no Content-Length) runs over the limit, then 413 names the limit', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/schemes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.admin}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(`{"name":"${'x'.repeat(300 * 1024)}"}`));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/256kb/);
  });

  it('when /healthz and /openapi.json are read, then they still answer without a body parser in front', async () => {
    expect((await request(h.app).get('/healthz')).status).toBe(200);
    expect((await request(h.app).get('/openapi.json')).status).toBe(200);
  });
});

const nulMessage = /NUL \(U\+0000\)/;

describe('NUL and lone surrogates: refused wherever they arrive, naming the field', () => {
  it('when a scheme name holds a NUL, then 422 names body.name and nothing is stored', async () => {
    const before = await snapshotTables(h);
    const res = await api.post('/v1/schemes', { code: `T-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Test\u0000Credit', country: 'SG', currency: 'SGD', rules: { eligibleCitizenships: ['SG'] } });
    const body = expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.name']);
    expect((body.errors as { message: string }[])[0]!.message).toMatch(nulMessage);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when an allocation note holds a NUL, then 422 names body.note and no money moves', async () => {
    const before = await snapshotTables(h);
    const res = await api.post(`/v1/schemes/${schemeId}/allocations`, { amount: '1000', note: 'budget\u0000' });
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.note']);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when a NUL sits deep in an array and in a key, then each is named by its body path', async () => {
    const res = await postCourseText('{"code":"CNUL1","title":"Data","category":"data-analytics","skills":["sql","py\\u0000thon"],"hours":16,"x\\u0000":1}');
    expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.skills.1', 'body.x\\u0000']);
  });

  it('when a scheme name holds a lone surrogate (as a JSON escape), then 422 names body.name and nothing is stored', async () => {
    const before = await snapshotTables(h);
    const res = await request(h.app)
      .post('/v1/schemes')
      .set('Authorization', `Bearer ${api.admin}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(`{"code":"T-SURR0GAT","name":"Test \\ud800 Credit","country":"SG","currency":"SGD","rules":{"eligibleCitizenships":["SG"]}}`);
    const body = expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.name']);
    expect((body.errors as { message: string }[])[0]!.message).toMatch(/surrogate/);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when a query string value holds a NUL (?q=a%00b), then 422 names query.q, never a 500', async () => {
    const res = await request(h.app).get('/v1/courses?q=a%00b').set('Authorization', `Bearer ${api.admin}`);
    const body = expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['query.q']);
    expect((body.errors as { message: string }[])[0]!.message).toMatch(nulMessage);
  });

  it.each(['%FF', '%ED%A0%80', 'a%E2%82'])('when a query string value is not UTF-8 once decoded (?x=%s), then 400 and a write it rides on changes nothing', async (bad) => {
    expectProblem(await request(h.app).get(`/v1/courses?q=${bad}`).set('Authorization', `Bearer ${api.admin}`), 400, 'bad_request');
    const before = await snapshotTables(h);
    const res = await request(h.app).post(`/v1/schemes?x=${bad}`).set('Authorization', `Bearer ${api.admin}`).set('Idempotency-Key', randomUUID())
      .send({ code: 'QS1', name: 'Query string probe', currency: 'SGD' });
    expectProblem(res, 400, 'bad_request');
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when a query string is well formed, then repeated keys, plus signs and empty values decode as before', async () => {
    const { parseQuery } = await import('../../src/http/query.js');
    expect({ ...parseQuery('a=1&a=2&b=x+y&c=&d&e=%C3%A9') }).toEqual({ a: ['1', '2'], b: 'x y', c: '', d: '', e: 'é' });
    const polluted = parseQuery('__proto__=x&constructor=y');
    expect(Object.getPrototypeOf(polluted)).toBeNull();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('when a CSV statement reference holds a NUL, then 422 names the body line and nothing is imported', async () => {
    const before = await snapshotTables(h);
    const csv = `# statement: STMT\u00002027\n${statementCsv([['LCnulreference0000000000000000000001', '1.00', 'SGD', 'DBIT', 'payment']])}`;
    const res = await request(h.app).post('/v1/bank-statements').set('Authorization', `Bearer ${finance}`).set('Idempotency-Key', randomUUID()).type('text/csv').send(csv);
    const body = expectProblem(res, 422, 'validation_failed');
    expect(body.errors).toEqual([{ path: 'body', message: expect.stringMatching(/^line 1, column 18: must not contain NUL/) }]);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when a CSV end_to_end_id holds a NUL, then 422 names its line and nothing is imported', async () => {
    const before = await snapshotTables(h);
    const csv = statementCsv([['LCnul\u0000reference000000000000000000002', '1.00', 'SGD', 'DBIT', 'payment']]);
    const res = await request(h.app).post('/v1/bank-statements').set('Authorization', `Bearer ${finance}`).set('Idempotency-Key', randomUUID()).type('text/csv').send(csv);
    const body = expectProblem(res, 422, 'validation_failed');
    expect((body.errors as { path: string; message: string }[])[0]!.message).toMatch(/^line 2, column 17: must not contain NUL/);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when a camt.053 reference holds a raw NUL, then 422 and nothing is imported', async () => {
    const before = await snapshotTables(h);
    const xml = '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>ST\u0000MT</Id></Stmt></BkToCstmrStmt></Document>';
    const res = await request(h.app).post('/v1/bank-statements').set('Authorization', `Bearer ${finance}`).set('Idempotency-Key', randomUUID()).type('application/xml').send(xml);
    const body = expectProblem(res, 422, 'validation_failed');
    expect((body.errors as { message: string }[])[0]!.message).toMatch(/^line 1, column \d+: must not contain NUL/);
    expect(await snapshotTables(h)).toEqual(before);
  });
});

describe('deep JSON: at most 64 levels, never a RangeError', () => {
  const jwkWith = async (deep: string) => {
    const { publicJwk } = await newSigner('EdDSA');
    return `{"jwk":${JSON.stringify(publicJwk).slice(0, -1)},"x-deep":${deep}}}`;
  };

  it('when a JWK member nests 10,000 deep, then 400 bad_request says how deep is allowed, and no key is stored', async () => {
    const before = await snapshotTables(h);
    const res = await request(h.app)
      .post(`/v1/providers/${providerId}/keys`)
      .set('Authorization', `Bearer ${api.admin}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(await jwkWith(`${'['.repeat(10_000)}${']'.repeat(10_000)}`));
    const body = expectProblem(res, 400, 'bad_request');
    expect(body.detail).toMatch(/deeper than 64 levels/);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when a JWK member nests deep but within 64 levels, then the key is registered (the extra member dropped)', async () => {
    // body {  jwk {  x-deep [ ... ] } }: two levels before the member.
    const inner = MAX_JSON_DEPTH - 2;
    const res = await request(h.app)
      .post(`/v1/providers/${providerId}/keys`)
      .set('Authorization', `Bearer ${api.admin}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(await jwkWith(`${'['.repeat(inner)}${']'.repeat(inner)}`));
    expect(res.status, res.text).toBe(201);
    expect(res.body.publicJwk).not.toHaveProperty('x-deep');
  });

  it('when a body nests one level more than 64, then 400; at 64 it reaches validation (422)', async () => {
    const send = (levels: number) =>
      request(h.app)
        .post('/v1/schemes')
        .set('Authorization', `Bearer ${api.admin}`)
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', 'application/json')
        .send(`{"rules":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`);
    expectProblem(await send(MAX_JSON_DEPTH), 422, 'validation_failed');
    expectProblem(await send(MAX_JSON_DEPTH + 1), 400, 'bad_request');
  });

  it('when the idempotency fingerprint is taken of a 100,000-deep value, then it is computed without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i += 1) deep = i % 2 ? [deep] : { k: deep };
    const text = canonicalJson(deep);
    // 50,000 objects {"k":…} (6 characters each), 50,000 arrays […] (2 each), and "leaf".
    expect(text).toHaveLength(50_000 * 6 + 50_000 * 2 + 6);
    expect(text.startsWith('[{"k":[{"k":')).toBe(true);
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe('{"a":true,"b":[1,{"c":"x","d":null}]}');
  });
});

describe('money as a JSON number: a plain safe integer or refused', () => {
  const allocate = (raw: string) =>
    request(h.app)
      .post(`/v1/schemes/${schemeId}/allocations`)
      .set('Authorization', `Bearer ${api.admin}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(raw);

  it.each([
    ['a fraction that JSON.parse rounds away (issue 12)', '100.0000000000000001'],
    ['a zero fraction', '100.0'],
    ['an exponent', '1e3'],
    ['an integer beyond 2^53', '9007199254740993'],
    ['2^64', '18446744073709551616'],
  ])('when the amount is %s (%s), then 422 names body.amount and shows what was written; nothing is allocated', async (_label, written) => {
    const before = await snapshotTables(h);
    const res = await allocate(`{"amount":${written}}`);
    const body = expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.amount']);
    const message = (body.errors as { message: string }[])[0]!.message;
    expect(message).toMatch(/string of minor units/);
    expect(message).toContain(written);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when the amount is a plain safe integer or a string of digits, then it is allocated exactly', async () => {
    const asNumber = await allocate('{"amount":100}');
    expect(asNumber.status, asNumber.text).toBe(201);
    expect(asNumber.body.amount).toBe('100');
    const asString = await allocate('{"amount":"9007199254740993"}');
    expect(asString.status, asString.text).toBe(201);
    expect(asString.body.amount).toBe('9007199254740993');
  });

  it('when another whole-number field is written with a fraction, then 422 says so in words', async () => {
    const res = await postCourseText('{"code":"CFRAC1","title":"Data","category":"data-analytics","skills":["sql"],"hours":16.0000000000000001}');
    const body = expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.hours']);
    expect((body.errors as { message: string }[])[0]!.message).toMatch(/without a fraction or an exponent/);
  });

  it('when a text field is given a number with a fraction, then 422 says a string is expected, as for any number', async () => {
    const res = await request(h.app)
      .post(`/v1/schemes/${schemeId}/allocations`)
      .set('Authorization', `Bearer ${api.admin}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send('{"amount":"100","note":1.5}');
    const body = expectProblem(res, 422, 'validation_failed');
    expect(errorPaths(res)).toEqual(['body.note']);
    expect((body.errors as { message: string }[])[0]!.message).toMatch(/expected string/);
  });
});

describe('JSON must be UTF-8', () => {
  it.each(['utf-16', 'UTF-16LE', 'latin1', 'klingon'])('when the body is declared charset=%s, then 415 before it is read, and nothing is stored', async (charset) => {
    const before = await snapshotTables(h);
    const body = { code: `T-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Sixteen', country: 'SG', currency: 'SGD', rules: { eligibleCitizenships: ['SG'] } };
    const res = await fetch(`http://127.0.0.1:${port}/v1/schemes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.admin}`, 'idempotency-key': randomUUID(), 'content-type': `application/json; charset=${charset}` },
      body: new Uint8Array(Buffer.from(JSON.stringify(body), 'utf16le')),
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('unsupported_media_type');
    expect(problem.detail).toMatch(/UTF-8/);
    expect(await snapshotTables(h)).toEqual(before);
  });

  it('when the body is declared charset=utf-8 (any case), or no charset, then it is read', async () => {
    for (const type of ['application/json; charset=UTF-8', 'application/json;charset=utf-8', 'application/json']) {
      const res = await request(h.app)
        .post(`/v1/schemes/${schemeId}/allocations`)
        .set('Authorization', `Bearer ${api.admin}`)
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', type)
        .send('{"amount":"5"}');
      expect(res.status, `${type}: ${res.text}`).toBe(201);
    }
  });
});
