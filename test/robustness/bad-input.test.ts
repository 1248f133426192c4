import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { createHarness, type Harness } from '../support/harness.js';
import { releasedBatch } from '../support/finance.js';
import { financeApi, snapshotTables, statementCsv, tenantWithApprovedClaim, type Tenant } from './world.js';

/**
 * Bad input, generated from openapi/openapi.json: every operation gets
 * invalid path params, query params, bodies, content types and idempotency
 * keys. Every answer must be < 500, a 4xx must be problem+json with the house
 * members, and no table may change (idempotency_keys excepted, see world.ts).
 * Audit tables ARE in the snapshot: refusals at the validation layer are not
 * audited (recordAudit is only called from services, inside their transaction).
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Schema {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: Json[];
  format?: string;
  pattern?: string;
  example?: Json;
  minLength?: number;
  minimum?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
}
interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  roles: string[];
  params: { name: string; in: string; schema?: Schema }[];
  bodyTypes: string[];
  bodySchema?: Schema | undefined;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = JSON.parse(readFileSync(path.join(root, 'openapi/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string; 'x-roles': string[]; parameters?: Operation['params']; requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
};
const operations: Operation[] = Object.entries(doc.paths).flatMap(([p, ops]) =>
  Object.entries(ops).map(([method, o]) => ({
    method: method as Operation['method'],
    path: p,
    operationId: o.operationId,
    roles: o['x-roles'],
    params: o.parameters ?? [],
    bodyTypes: Object.keys(o.requestBody?.content ?? {}),
    bodySchema: o.requestBody?.content['application/json']?.schema,
  })),
);

const resolve = (s: Schema | undefined): Schema => {
  if (!s) return {};
  if (s.$ref) return resolve(doc.components.schemas[s.$ref.split('/').pop()!]);
  if (s.allOf?.length === 1) return resolve(s.allOf[0]);
  return s;
};

const MB = 1024 * 1024;
const oneMb = 'x'.repeat(MB);
const AMOUNTISH = /amount|fee|capacity|bps|limit|sum|budget|price|hours/i;

let h: Harness;
let server: http.Server;
let base: string;
let a: Tenant;
let ids: Record<string, string>;
let tokens: Record<string, string>;
let routes: AnyRoute[];
let exceptionId: string;
let batchId: string;

beforeAll(async () => {
  h = await createHarness();
  a = await tenantWithApprovedClaim(h);
  const finance = await h.token('finance', { sub: 'officer-bad-input' });
  const f = financeApi(h, finance);
  batchId = (await releasedBatch(h, { currency: 'SGD' })).id;
  const st = await f.statement(statementCsv([['LCunknownreference000000000000000000', '10.00', 'SGD', 'DBIT', 'payment']]));
  expect(st.status, st.text).toBe(201);
  exceptionId = (await f.get('/v1/reconciliation-exceptions?status=open')).body.items[0].id;
  const grantRun = await a.world.api.post(`/v1/schemes/${a.world.scheme.id}/grant-runs`, { amount: '100', criteria: {} }, true);
  const account = await request(h.app).get(`/v1/learners/${a.enrolment.learner.id}/account`).set('authorization', `Bearer ${a.world.api.admin}`);
  ids = {
    schemeId: a.world.scheme.id,
    learnerId: a.enrolment.learner.id,
    providerId: a.world.providerId,
    keyId: a.signer.keyId!,
    courseId: a.world.courseId,
    courseRunId: a.enrolment.runId,
    grantRunId: grantRun.status === 201 || grantRun.status === 202 ? grantRun.body.id : randomUUID(),
    enrolmentId: a.enrolment.enrolmentId,
    claimId: a.claimId,
    batchId,
    exceptionId,
    accountId: account.body?.accountId ?? account.body?.grants?.[0]?.accountId ?? randomUUID(),
  };
  tokens = {
    citizen: a.enrolment.learner.token,
    provider: a.world.providerToken,
    finance,
    admin: a.world.api.admin,
  };
  routes = allRoutes(h.deps);
  server = http.createServer(h.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()) ?? r());
  await h?.close();
});

const idFor = (op: Operation, name: string): string => {
  if (name === 'runId') return op.path.startsWith('/v1/grant-runs') ? ids.grantRunId! : ids.courseRunId!;
  return ids[name] ?? randomUUID();
};

/** A plausible body from the JSON schema: the base every mutation starts from. */
function sample(s0: Schema | undefined, name = ''): Json {
  const s = resolve(s0);
  if (s.oneOf?.length) return sample(s.oneOf[0], name);
  if (s.anyOf?.length) return sample(s.anyOf[0], name);
  if (s.enum?.length) return s.enum[0]!;
  if (s.example !== undefined) return s.example;
  switch (s.type) {
    case 'object': {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) if ((s.required ?? []).includes(k)) out[k] = sample(v, k);
      return out;
    }
    case 'array':
      return [sample(s.items, name)];
    case 'integer':
    case 'number':
      return s.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'uuid') return ids[name] ?? randomUUID();
      if (s.format === 'date-time') return new Date(h.clock.now().getTime() + 86_400_000).toISOString();
      if (s.format === 'date') return '2027-06-01';
      if (s.format === 'email') return 'ops@academy.example';
      if (/currency/i.test(name)) return 'SGD';
      if (/country/i.test(name)) return 'SG';
      return 'x'.repeat(Math.max(s.minLength ?? 3, 3));
    default:
      return 'x';
  }
}

interface Variant {
  label: string;
  path: string;
  query?: string;
  body?: string | Buffer;
  contentType?: string;
  /** undefined: a fresh key when idempotent; null: no key. */
  key?: string | null;
}

interface Sent {
  op: string;
  label: string;
  status: number;
  contentType: string;
  text: string;
}

const stats = { sent: 0, skippedValid: 0, byOperation: new Map<string, number>() };
const failures: string[] = [];
const serverRefusals: string[] = [];
const results: Sent[] = [];

function pathWith(op: Operation, override: Record<string, string> = {}): string {
  return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => override[name] ?? idFor(op, name));
}

function isIdempotent(op: Operation) {
  return op.params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
}

async function send(op: Operation, v: Variant): Promise<void> {
  // fetch, not supertest: superagent JSON-encodes a Buffer body, and the bytes must go out as they are.
  const headers: Record<string, string> = { Authorization: `Bearer ${tokens[op.roles[0]!]}` };
  if (isIdempotent(op)) {
    if (v.key === undefined) headers['Idempotency-Key'] = randomUUID();
    else if (v.key !== null) headers['Idempotency-Key'] = v.key;
  }
  if (v.contentType) headers['Content-Type'] = v.contentType;
  const where = `${op.method.toUpperCase()} ${v.path.length > 200 ? `${v.path.slice(0, 200)}…` : v.path}${v.query ? `?${v.query.slice(0, 120)}` : ''} [${v.label}]`;
  stats.sent++;
  stats.byOperation.set(op.operationId, (stats.byOperation.get(op.operationId) ?? 0) + 1);
  let res: { status: number; headers: Record<string, string>; text: string; body: unknown };
  try {
    const r = await fetch(`${base}${v.path}${v.query ? `?${v.query}` : ''}`, {
      method: op.method.toUpperCase(),
      headers,
      ...(v.body !== undefined ? { body: typeof v.body === 'string' ? v.body : new Uint8Array(v.body) } : {}),
    });
    const text = await r.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    res = { status: r.status, headers: { 'content-type': r.headers.get('content-type') ?? '' }, text, body };
  } catch (err) {
    failures.push(`${where}: transport error ${(err as Error).message}`);
    return;
  }
  const ct = String(res.headers['content-type'] ?? '');
  results.push({ op: op.operationId, label: v.label, status: res.status, contentType: ct, text: res.text?.slice(0, 300) ?? '' });
  if (res.status >= 500) {
    failures.push(`${where}: ${res.status} ${res.text?.slice(0, 300)}`);
    return;
  }
  if (res.status === 431 && v.label.endsWith('1MB string') && v.query) {
    // Node's HTTP parser refuses a request line over maxHeaderSize (16 KB) before Express runs: bare 431, no body.
    serverRefusals.push(where);
    return;
  }
  if (res.status >= 400) {
    if (!/^application\/problem\+json(;|$)/.test(ct)) {
      failures.push(`${where}: ${res.status} with content-type '${ct}' (not problem+json): ${res.text?.slice(0, 200)}`);
      return;
    }
    const b = res.body as Record<string, unknown>;
    const missing = ['type', 'title', 'status', 'code', 'detail'].filter((k) => b?.[k] === undefined || b?.[k] === '');
    if (missing.length) failures.push(`${where}: ${res.status} problem lacks ${missing.join(',')}: ${res.text?.slice(0, 200)}`);
    else if (b.status !== res.status) failures.push(`${where}: problem.status ${String(b.status)} != ${res.status}`);
    if (/\n\s+at |\.ts:\d+|node_modules/.test(res.text ?? '')) failures.push(`${where}: stack trace in the body`);
  }
}

function routeOf(op: Operation): AnyRoute {
  const r = routes.find((x) => x.method === op.method && x.path === op.path);
  if (!r) throw new Error(`no declared route for ${op.method} ${op.path}`);
  return r;
}

/** True when the route's own zod schema accepts the body: then it is not bad input and is not sent. */
function bodyIsValid(op: Operation, body: unknown): boolean {
  const r = routeOf(op);
  return !!r.body && r.body.safeParse(body).success;
}

function jsonBodyVariants(op: Operation, runs: number): Variant[] {
  const schema = resolve(op.bodySchema);
  const good = sample(schema) as Record<string, Json>;
  const p = pathWith(op);
  const out: Variant[] = [];
  const json = (label: string, value: unknown) => {
    if (bodyIsValid(op, value)) {
      stats.skippedValid++;
      return;
    }
    out.push({ label, path: p, body: JSON.stringify(value), contentType: 'application/json' });
  };
  json('{}', {});
  const props = Object.keys(schema.properties ?? {});
  for (const req of schema.required ?? []) {
    const { [req]: _dropped, ...rest } = good;
    json(`without ${req}`, rest);
  }
  for (const k of props) {
    const fieldType = resolve(schema.properties![k]).type;
    const wrong: [string, unknown][] = [
      ['number', 12345], ['string', 'not-the-right-thing'], ['object', { a: 1 }], ['array', [1, 'a']], ['null', null], ['boolean', true],
      ['1e308', 1e308], ['2^64', 2 ** 64], ['"99999999999999999999999"', '99999999999999999999999'], ['-1e308', -1e308],
      ['1MB string', oneMb], ['100KB string', 'y'.repeat(100_000)], ['NUL in string', 'a\u0000b'], ['lone surrogate', 'a\ud800b'],
    ];
    if (AMOUNTISH.test(k)) {
      wrong.push(['negative', -1], ['"-1"', '-1'], ['zero', 0], ['"0"', '0'], ['fraction', 1.5], ['"1.50"', '1.50'], ['"1e3"', '1e3'], ['" 1"', ' 1'], ['"0x10"', '0x10'], ['-0', -0]);
    }
    for (const [label, value] of wrong) {
      if (label === fieldType) continue;
      json(`${k}=${label}`, { ...good, [k]: value });
    }
    // Random JSON values for the field, from fast-check, bounded.
    for (const value of fc.sample(fc.jsonValue({ maxDepth: 2 }), { numRuns: runs, seed: 7 })) json(`${k}=fc:${JSON.stringify(value).slice(0, 40)}`, { ...good, [k]: value });
  }
  json('extra unknown field', { ...good, unexpectedField: 'surprise' });
  json('__proto__ field', JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(good).slice(1)}`.replace(/, }$/, '}')));
  for (const [label, value] of [['array', [good]], ['number', 42], ['string', 'x'], ['null', null], ['true', true]] as const) {
    out.push({ label: `non-object JSON ${label}`, path: p, body: JSON.stringify(value), contentType: 'application/json' });
  }
  for (const [label, raw] of [['truncated', '{"a":'], ['unquoted keys', '{a:1}'], ['trailing comma', '{"a":1,}'], ['garbage', '\u0001\u0002not json'], ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`], ['1MB JSON', JSON.stringify({ ...good, pad: oneMb })]] as const) {
    out.push({ label: `malformed/oversize: ${label}`, path: p, body: raw, contentType: 'application/json' });
  }
  // Invalid UTF-8: 0xff 0xfe inside every string field of the sample, in a key, and as a bare body.
  const bytes = (s: string) => Buffer.concat(s.split('\u0000INVALID\u0000').flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff, 0xfe]), Buffer.from(part)])));
  for (const k of props) {
    if (typeof good[k] !== 'string') continue;
    out.push({ label: `invalid UTF-8 in ${k}`, path: p, contentType: 'application/json', body: bytes(JSON.stringify({ ...good, [k]: `${good[k] as string}\u0000INVALID\u0000` }).replace('\\u0000INVALID\\u0000', '\u0000INVALID\u0000')) });
  }
  out.push({ label: 'invalid UTF-8 in a key', path: p, contentType: 'application/json', body: Buffer.concat([Buffer.from('{"'), Buffer.from([0xff, 0xfe]), Buffer.from('":1}')]) });
  out.push({ label: 'invalid UTF-8 bare', path: p, contentType: 'application/json', body: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]) });
  out.push({ label: 'utf-16 charset', path: p, contentType: 'application/json; charset=utf-16', body: JSON.stringify(good) });
  out.push({ label: 'unknown charset', path: p, contentType: 'application/json; charset=klingon', body: JSON.stringify(good) });
  // Wrong content types with a body that would otherwise be plausible.
  out.push({ label: 'text/plain', path: p, contentType: 'text/plain', body: JSON.stringify(good) });
  out.push({ label: 'application/xml', path: p, contentType: 'application/xml', body: '<body><a>1</a></body>' });
  out.push({ label: 'multipart', path: p, contentType: 'multipart/form-data; boundary=XYZ', body: `--XYZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XYZ--\r\n` });
  out.push({ label: 'form-urlencoded', path: p, contentType: 'application/x-www-form-urlencoded', body: 'a=1&b=2' });
  out.push({ label: 'no content type', path: p });
  return out;
}

function textBodyVariants(op: Operation): Variant[] {
  const p = pathWith(op);
  const header = 'booking_date,end_to_end_id,amount,currency,direction,type,status';
  return [
    { label: 'application/json', path: p, contentType: 'application/json', body: '{"csv":"x"}' },
    { label: 'multipart', path: p, contentType: 'multipart/form-data; boundary=XYZ', body: '--XYZ--\r\n' },
    { label: 'text/plain', path: p, contentType: 'text/plain', body: `${header}\n2027-03-01,LCx,1.00,SGD,DBIT,payment,BOOK` },
    { label: 'empty csv', path: p, contentType: 'text/csv', body: '' },
    { label: 'csv bad amount', path: p, contentType: 'text/csv', body: `${header}\n2027-03-01,LCx,-1.00,SGD,DBIT,payment,BOOK` },
    { label: 'csv huge amount', path: p, contentType: 'text/csv', body: `${header}\n2027-03-01,LCx,99999999999999999999999.00,SGD,DBIT,payment,BOOK` },
    { label: 'csv 1e308', path: p, contentType: 'text/csv', body: `${header}\n2027-03-01,LCx,1e308,SGD,DBIT,payment,BOOK` },
    { label: 'csv wrong columns', path: p, contentType: 'text/csv', body: 'a,b\n1,2' },
    { label: 'csv invalid UTF-8', path: p, contentType: 'text/csv', body: Buffer.concat([Buffer.from(`${header}\n2027-03-01,LC`), Buffer.from([0xff, 0xfe]), Buffer.from(',1.00,SGD,DBIT,payment,BOOK')]) },
    { label: 'csv 1MB field', path: p, contentType: 'text/csv', body: `${header}\n2027-03-01,${oneMb},1.00,SGD,DBIT,payment,BOOK` },
    { label: 'csv bad date', path: p, contentType: 'text/csv', body: `${header}\n2027-13-45,LCx,1.00,SGD,DBIT,payment,BOOK` },
    { label: 'xml malformed', path: p, contentType: 'application/xml', body: '<Document><BkToCstmrStmt>' },
    { label: 'xml wrong document', path: p, contentType: 'application/xml', body: '<?xml version="1.0"?><Other><a>1</a></Other>' },
    { label: 'xml entity expansion', path: p, contentType: 'application/xml', body: '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>' },
  ];
}

function pathVariants(op: Operation, withBody: () => Partial<Variant>): Variant[] {
  const out: Variant[] = [];
  for (const prm of op.params.filter((x) => x.in === 'path')) {
    for (const [label, value] of [
      ['non-uuid', 'not-a-uuid'], ['10,000 chars', 'a'.repeat(10_000)], ['uuid-ish with braces', `{${randomUUID()}}`],
      ['bad percent-encoding', '%E0%A4%A'], ['encoded NUL', '%00'], ['number', '12345'], ['sql', "1'%20or%20'1'='1"],
    ] as const) {
      out.push({ label: `path ${prm.name}: ${label}`, path: pathWith(op, { [prm.name]: value }), ...withBody() });
    }
  }
  return out;
}

function queryVariants(op: Operation): Variant[] {
  const p = pathWith(op);
  const out: Variant[] = [];
  for (const prm of op.params.filter((x) => x.in === 'query')) {
    const values: [string, string][] = [
      ['word', 'zzz'], ['negative', '-1'], ['zero', '0'], ['fraction', '1.5'], ['1e308', '1e308'], ['2^64', '18446744073709551616'],
      ['huge digits', '99999999999999999999999'], ['8KB string', 'q'.repeat(8_000)], ['1MB string', oneMb], ['bad percent-encoding', '%E0%A4%A'],
      ['uuid', randomUUID()], ['empty', ''], ['date garbage', '2027-13-45T99:99:99Z'],
    ];
    for (const [label, value] of values) out.push({ label: `query ${prm.name}: ${label}`, path: p, query: `${prm.name}=${value}` });
    out.push({ label: `query ${prm.name}: repeated`, path: p, query: `${prm.name}=a&${prm.name}=b` });
    out.push({ label: `query ${prm.name}: bracket object`, path: p, query: `${prm.name}[a]=1` });
  }
  out.push({ label: 'query: unknown extra param', path: p, query: 'unknownExtra=1' });
  return out;
}

describe('bad input for every operation in openapi/openapi.json', () => {
  it('when every operation gets invalid requests, then none is a 5xx, every 4xx is a problem, and no table changes', async () => {
    expect(operations.length).toBeGreaterThan(50);
    const before = await snapshotTables(h);
    const RUNS = 6;
    for (const op of operations) {
      const route = routeOf(op);
      const isJson = op.bodyTypes.includes('application/json');
      const plausibleBody = (): Partial<Variant> =>
        op.bodyTypes.length === 0 ? {} : isJson ? { body: JSON.stringify(sample(op.bodySchema)), contentType: 'application/json' } : { body: 'x', contentType: op.bodyTypes[0]! };
      const variants: Variant[] = [...pathVariants(op, plausibleBody)];
      // Query variants on reads only: a write route without a query schema would ignore them and act.
      if (op.method === 'get') variants.push(...queryVariants(op));
      if (isJson) variants.push(...jsonBodyVariants(op, RUNS));
      else if (op.bodyTypes.length) variants.push(...textBodyVariants(op));
      if (isIdempotent(op) && route.body) {
        // A valid-looking body whose key is missing, too long or not visible ASCII: refused before any work.
        const body = isJson ? JSON.stringify(sample(op.bodySchema)) : 'x';
        const contentType = isJson ? 'application/json' : op.bodyTypes[0]!;
        variants.push({ label: 'no Idempotency-Key', path: pathWith(op), body, contentType, key: null });
        variants.push({ label: '300-char Idempotency-Key', path: pathWith(op), body, contentType, key: 'k'.repeat(300) });
        variants.push({ label: 'empty Idempotency-Key', path: pathWith(op), body, contentType, key: '' });
        variants.push({ label: 'non-ASCII Idempotency-Key', path: pathWith(op), body, contentType, key: 'clé avec espace' });
      }
      for (const v of variants) await send(op, v);
    }
    const after = await snapshotTables(h);
    const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
    console.log(
      `bad-input: sent ${stats.sent} invalid requests over ${operations.length} operations ` +
        `(${stats.skippedValid} generated bodies were valid for the route's schema and not sent); ` +
        `${serverRefusals.length} 1 MB query strings were refused by Node's HTTP parser with a bare 431 before the app; ` +
        `statuses ${JSON.stringify(results.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {}))}`,
    );
    if (changed.length) {
      const successes = results.filter((r) => r.status < 400 && !/^(get|list|verify|check)|Report$|trialBalance|providerStatement/.test(r.op)).map((r) => `${r.op} [${r.label}] -> ${r.status} ${r.text.slice(0, 160)}`);
      failures.push(`tables changed: ${changed.join(', ')}; requests that were not refused:\n  ${successes.join('\n  ')}`);
    }
    if (process.env.BAD_INPUT_DUMP) console.log(results.filter((r) => /UTF-8|utf-16|charset/.test(r.label)).map((r) => `${r.op} [${r.label}] ${r.status} ${r.text.slice(0, 220)}`).join("\n"));
    expect(failures, failures.slice(0, 60).join('\n')).toEqual([]);
    expect(stats.sent).toBeGreaterThan(1000);
  }, 120_000);
});
