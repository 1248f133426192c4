import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import querystring from 'node:querystring';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { newSigner } from '../claims/credential-fixtures.js';
import { camt053, type CamtStatement } from '../reconciliation/camt053-fixture.js';
import { useHarness } from '../support/harness.js';
import { releasedBatch } from '../support/finance.js';
import { nextNric } from '../support/ids.js';
import {
  cursorKeyKinds, forgedCursor, forgedCursorExamples, hostileExamples, hostileJson, hostileText, hostileValue, describeHostile, oddButValidExamples, oddButValidText, percentEncode, stringsOf,
  textIsHostile, wtf8, type CursorKeyKind, type ForgedCursor, type Hostile,
} from './hostile.js';
import {
  operationsOf, resolver, seedFor, setAt, stringFields, validSample, type Json, type OpenApiDocument, type Operation, type Parameter, type Schema, type StringField,
} from './operations.js';
import { financeApi, snapshotTables, statementCsv, tenantWithApprovedClaim, type Tenant } from './world.js';

/**
 * Bad input, generated from the OpenAPI document the app serves
 * (/openapi.json, built from allRoutes): every operation gets
 * invalid path params, query params, bodies, content types and idempotency
 * keys. Every answer must be < 500, a 4xx must be problem+json with the house
 * members, and no table may change (idempotency_keys excepted, see world.ts).
 * Audit tables ARE in the snapshot: refusals at the validation layer are not
 * audited (recordAudit is only called from services, inside their transaction).
 */

let doc: OpenApiDocument;
let operations: Operation[];
let resolve: (s: Schema | undefined) => Schema;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const MB = 1024 * 1024;
const oneMb = 'x'.repeat(MB);
const AMOUNTISH = /amount|fee|capacity|bps|limit|sum|budget|price|hours/i;

const h = useHarness();
let server: http.Server;
let base: string;
let a: Tenant;
let ids: Record<string, string>;
let tokens: Record<string, string>;
let routes: AnyRoute[];
let exceptionId: string;
let batchId: string;
let publicJwk: Json;

beforeAll(async () => {
  a = await tenantWithApprovedClaim(h);
  const finance = await h.token('finance', { sub: 'officer-bad-input' });
  const f = financeApi(h, finance);
  batchId = (await releasedBatch(h, { currency: 'SGD' })).id;
  const st = await f.statement(statementCsv([['LCunknownreference000000000000000000', '10.00', 'SGD', 'DBIT', 'payment']]));
  expect(st.status, st.text).toBe(201);
  exceptionId = (await f.get('/v1/reconciliation-exceptions?status=open')).body.items[0].id;
  const grantRun = await a.world.api.post(`/v1/schemes/${a.world.scheme.id}/grant-runs`, { amount: '100', criteria: {} }, true);
  const account = await request(h.app).get(`/v1/learners/${a.enrolment.learner.id}/account`).set('authorization', `Bearer ${a.world.api.admin}`);
  // A visit of the counter officer whose token the counter routes get, so their reads reach the input checks past the visit.
  const visitNric = nextNric();
  await a.world.api.learner({ nationalId: visitNric });
  const visit = await request(h.app).post('/v1/counter/visits').set('authorization', `Bearer ${await h.token('counter')}`).set('idempotency-key', randomUUID())
    .send({ country: 'SG', nationalId: visitNric, reason: 'the bad-input world', learnerPresent: true, identityCheck: 'nric_card' });
  expect(visit.status, visit.text).toBe(201);
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
    statementId: st.body.statementId,
    visitId: visit.body.visitId,
    accountId: account.body?.accountId ?? account.body?.grants?.[0]?.accountId ?? randomUUID(),
  };
  publicJwk = (await newSigner()).publicJwk as Json;
  tokens = {
    citizen: a.enrolment.learner.token,
    provider: a.world.providerToken,
    finance,
    admin: a.world.api.admin,
    analyst: await h.token('analyst'),
    counter: await h.token('counter'),
  };
  routes = allRoutes(h.deps);
  const served = await request(h.app).get('/openapi.json');
  expect(served.status).toBe(200);
  doc = served.body as OpenApiDocument;
  operations = operationsOf(doc);
  resolve = resolver(doc);
  server = http.createServer(h.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  report();
  await new Promise<void>((r) => server?.close(() => r()) ?? r());
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

const stats = { sent: 0, skippedValid: 0 };
const failures: string[] = [];
const serverRefusals: string[] = [];
const results: Sent[] = [];

function pathWith(op: Operation, override: Record<string, string> = {}): string {
  return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => override[name] ?? idFor(op, name));
}

function isIdempotent(op: Operation) {
  return op.params.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

/** Per operation: what was sent and how it was answered, for the report (see report()). */
interface Tally {
  tried: number;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  /** Generated values the oracle found valid for a write: not sent, so that nothing is created. */
  notSent: number;
  dataChanges: string[];
}
const tallies = new Map<string, Tally>();
/** The same for valid input (unusual Unicode in free text, then reads): the last test, where data may change. */
const validTallies = new Map<string, Tally>();
const tallyOf = (op: Operation, of = tallies): Tally => {
  let t = of.get(op.operationId);
  if (!t) of.set(op.operationId, (t = { tried: 0, s2xx: 0, s4xx: 0, s5xx: 0, notSent: 0, dataChanges: [] }));
  return t;
};

const whereOf = (op: Operation, v: Variant) =>
  `${op.method.toUpperCase()} ${v.path.length > 200 ? `${v.path.slice(0, 200)}…` : v.path}${v.query ? `?${v.query.slice(0, 120)}` : ''} [${v.label.slice(0, 160)}]`;

/** One request as it is (fetch, not supertest: superagent JSON-encodes a Buffer body, and the bytes must go out as they are). */
async function exchange(op: Operation, v: Variant, of = tallies): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${tokens[op.roles[0]!]}` };
  if (isIdempotent(op)) {
    if (v.key === undefined) headers['Idempotency-Key'] = randomUUID();
    else if (v.key !== null) headers['Idempotency-Key'] = v.key;
  }
  if (v.contentType) headers['Content-Type'] = v.contentType;
  const t = tallyOf(op, of);
  t.tried++;
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
  if (r.status >= 500) t.s5xx++;
  else if (r.status >= 400) t.s4xx++;
  else t.s2xx++;
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', text, body };
}

/** What is wrong with an answer whatever the input: a 5xx, a 4xx that is not a problem with the house members, a stack trace. */
function answerProblems(where: string, res: Answer): string[] {
  if (res.status >= 500) return [`${where}: ${res.status} ${res.text.slice(0, 300)}`];
  if (res.status < 400) return [];
  if (!/^application\/problem\+json(;|$)/.test(res.contentType)) return [`${where}: ${res.status} with content-type '${res.contentType}' (not problem+json): ${res.text.slice(0, 200)}`];
  const out: string[] = [];
  const b = res.body as Record<string, unknown>;
  const missing = ['type', 'title', 'status', 'code', 'detail'].filter((k) => b?.[k] === undefined || b?.[k] === '');
  if (missing.length) out.push(`${where}: ${res.status} problem lacks ${missing.join(',')}: ${res.text.slice(0, 200)}`);
  else if (b.status !== res.status) out.push(`${where}: problem.status ${String(b.status)} != ${res.status}`);
  if (/\n\s+at |\.ts:\d+|node_modules/.test(res.text)) out.push(`${where}: stack trace in the body`);
  return out;
}

async function send(op: Operation, v: Variant): Promise<void> {
  const where = whereOf(op, v);
  stats.sent++;
  let res: Answer;
  try {
    res = await exchange(op, v);
  } catch (err) {
    failures.push(`${where}: transport error ${(err as Error).message}`);
    return;
  }
  results.push({ op: op.operationId, label: v.label, status: res.status, contentType: res.contentType, text: res.text.slice(0, 300) });
  if (res.status === 431 && v.label.endsWith('1MB string') && v.query) {
    // Node's HTTP parser refuses a request line over maxHeaderSize (16 KB) before Express runs: bare 431, no body.
    serverRefusals.push(where);
    return;
  }
  failures.push(...answerProblems(where, res));
}

/**
 * Runs `work` (the requests for one operation) between two snapshots of every
 * table; a difference is a data change from input that should have been
 * refused, counted against the operation.
 */
type Snapshot = Record<string, string>;
async function watching(op: Operation, what: string, work: () => Promise<void>, onChange: (message: string) => void, since?: Snapshot): Promise<Snapshot> {
  // `since`: the snapshot the previous operation ended with, when nothing ran in between (a loop over operations).
  const before = since ?? (await snapshotTables(h));
  await work();
  const after = await snapshotTables(h);
  const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
  if (changed.length === 0) return after;
  const message = `${op.operationId} (${what}) changed ${changed.join(', ')}`;
  tallyOf(op).dataChanges.push(message);
  onChange(message);
  return after;
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

describe('bad input for every operation in the OpenAPI document', () => {
  it('when every operation gets invalid requests, then none is a 5xx, every 4xx is a problem, and no table changes', async () => {
    expect(operations.length).toBeGreaterThan(50);
    const RUNS = 6;
    let last: Snapshot | undefined;
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
      const from = results.length;
      last = await watching(op, 'malformed requests', async () => {
        for (const v of variants) await send(op, v);
      }, (message) => {
        const successes = results.slice(from).filter((r) => r.status < 400).map((r) => `${r.op} [${r.label}] -> ${r.status} ${r.text.slice(0, 160)}`);
        failures.push(`${message}; requests that were not refused:\n  ${successes.join('\n  ')}`);
      }, last);
    }
    console.log(
      `bad-input: sent ${stats.sent} invalid requests over ${operations.length} operations ` +
        `(${stats.skippedValid} generated bodies were valid for the route's schema and not sent); ` +
        `${serverRefusals.length} 1 MB query strings were refused by Node's HTTP parser with a bare 431 before the app; ` +
        `statuses ${JSON.stringify(results.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {}))}`,
    );
    if (process.env.BAD_INPUT_DUMP) console.log(results.filter((r) => /UTF-8|utf-16|charset/.test(r.label)).map((r) => `${r.op} [${r.label}] ${r.status} ${r.text.slice(0, 220)}`).join("\n"));
    expect(failures, failures.slice(0, 60).join('\n')).toEqual([]);
    expect(stats.sent).toBeGreaterThan(1000);
  }, 120_000);
});

/*
 * Hostile text as fast-check properties, field by field: for every string
 * field of every JSON body, every path parameter, every query parameter and
 * the cursor of every paginated list, values of arbitrary Unicode holding a
 * NUL or a lone surrogate, over-long texts, RTL controls and nesting up to
 * 10,000 levels. The other fields keep valid values from the fixtures, so
 * the request is wrong in the field under test only (where the schema
 * allows: a sibling a union branch needs may still be refused as well).
 *
 * An oracle independent of the service (textIsHostile, the depth, the body
 * limit, the route's own zod schema) classifies each generated request:
 * - invalid: it must be a 4xx problem naming the field (a 422 whose errors
 *   name it, or a 400/413 when the refusal is of the whole body or URL:
 *   nesting past 64 levels, bytes that are not UTF-8, an oversized body);
 * - valid, on a read: sent, and it must still not be a 5xx;
 * - valid, on a write: not sent (counted as "valid, not sent"), so the only
 *   data change that can show is one from input that should be refused.
 * Every table is compared before and after each operation's requests.
 * A member name of every body, an undeclared query parameter of every
 * operation, and every CSV column and camt.053 text element of a bank
 * statement get the same values.
 *
 * The last test is the one explicit place where generated input may change
 * data: free-text fields of writes get unusual but valid Unicode (RTL
 * overrides, astral characters, combining marks, BOM, non-characters),
 * which may be stored or refused, never a 5xx; then every read, in every
 * format it offers, must still answer. It runs outside the snapshots.
 *
 * FC_SEED (default 20270105) and FC_RUNS (default 12 generated values per
 * field, on top of the fixed examples in hostile.ts) make a run repeatable.
 */
const SEED = Number(process.env.FC_SEED ?? 20270105);
const FC_RUNS = Number(process.env.FC_RUNS ?? 12);
const PLACEHOLDER = '\u0001HOSTILE\u0001';

interface Verdict {
  valid: boolean;
  /** Statuses that refuse the whole request, not a field, and are right for this input (400 for bytes or nesting, 413 for size)... */
  whole: number[];
  /** ...with a detail that says why. */
  because?: RegExp;
}

const NOT_UTF8 = /not valid UTF-8|not valid JSON/;

const hostileFailures: string[] = [];
const propertyStats = { properties: 0, cases: 0, named: 0, whole: 0, validRead: 0, statuses: new Map<string, number>() };
const validStats = { properties: 0, cases: 0, reads: 0, refusals: new Map<string, number>() };

/** The valid base with what must be unique made fresh, so that a create that takes the odd text is not refused as a duplicate. */
async function freshBase(op: Operation): Promise<Json> {
  const base = validBaseOf(op) as Record<string, Json>;
  const n = tallyOf(op, validTallies).tried + 1;
  switch (op.operationId) {
    case 'createScheme':
      return { ...base, code: `ODD_${n}` };
    case 'createCourse':
      return { ...base, code: `ODD-${n}` };
    case 'createProvider':
      return { ...base, registrationNumber: `2027${String(n).padStart(5, '0')}K` };
    case 'registerLearner':
      return { ...base, nationalId: nextNric() };
    case 'registerProviderKey':
      return { ...base, jwk: (await newSigner()).publicJwk as Json };
    default:
      return base;
  }
}

let sampleValid: (s: Schema | undefined, name?: string) => Json;
const bases = new Map<string, Json>();

/** A valid body for each operation with a JSON body: the generic sample, with fixture values where the schema's rules need them. */
function validBaseOf(op: Operation): Json {
  const cached = bases.get(op.operationId);
  if (cached !== undefined) return cached;
  const now = h.clock.now().getTime();
  const overrides: Record<string, Json> = {
    createScheme: { code: 'HOSTILE_1', name: 'Hostile scheme', country: 'SG', currency: 'SGD', rules: {} },
    updateLearner: { fullName: 'Ada Lovelace' },
    createProvider: {
      legalName: 'Hostile Academy', registrationNumber: '201912345K', country: 'SG', contactEmail: 'ops@academy.example',
      bankAccount: { accountName: 'Hostile Academy', bankCode: '7171', accountNumber: '0123456789' },
    },
    updateProvider: { contactEmail: 'ops@academy.example' },
    proposePayeeChange: { legalName: 'Hostile Academy', reason: 'renamed' },
    registerProviderKey: { jwk: publicJwk },
    createCourseRun: { startsAt: new Date(now + 30 * 86_400_000).toISOString(), endsAt: new Date(now + 60 * 86_400_000).toISOString(), fee: '50000', currency: 'SGD', capacity: 10 },
  };
  const body = overrides[op.operationId] ?? sampleValid(op.bodySchema);
  bases.set(op.operationId, body);
  return body;
}

/** A valid body for the operation, as it is sent, when it takes one: the JSON base, or a one-line CSV statement. */
function validBodyOf(op: Operation): Partial<Variant> {
  if (op.bodyTypes.includes('application/json')) return { body: JSON.stringify(validBaseOf(op)), contentType: 'application/json' };
  if (op.bodyTypes.includes('text/csv')) return { body: statementCsv([['LCunknownreference000000000000000002', '1.00', 'SGD', 'DBIT', 'payment']]), contentType: 'text/csv' };
  return {};
}

const validPathParams = (op: Operation) => Object.fromEntries(op.params.filter((p) => p.in === 'path').map((p) => [p.name, idFor(op, p.name)]));

/** The required query parameters of an operation, valid, other than `except`. */
const requiredQuery = (op: Operation, except: string): [string, string][] =>
  op.params.filter((p) => p.in === 'query' && p.required && p.name !== except).map((p) => [p.name, String(sampleValid(p.schema, p.name))]);

const bodyLimitOf = (route: AnyRoute): number => {
  const m = /^(\d+)\s*(kb|mb)?$/i.exec(route.bodyLimit ?? '256kb')!;
  return Number(m[1]) * (m[2]?.toLowerCase() === 'mb' ? 1024 * 1024 : 1024);
};

/** Containers nested in a JSON text, strings skipped. */
function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i += 1; i < text.length && text.charCodeAt(i) !== 34; i += 1) if (text.charCodeAt(i) === 92) i += 1;
    } else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth -= 1;
  }
  return max;
}

function judgeJsonBody(route: AnyRoute, text: string, bytes: number, v: Hostile): Verdict {
  if (bytes > bodyLimitOf(route)) return { valid: false, whole: [413], because: /larger than/ };
  if (jsonTextDepth(text) > 64) return { valid: false, whole: [400], because: /nests deeper than 64/ };
  if (v.kind === 'text' && v.raw && (/[\u0000-\u001f]/.test(v.text) || textIsHostile(v.text))) return { valid: false, whole: [400], because: NOT_UTF8 };
  const value: unknown = JSON.parse(text);
  if (stringsOf(value).some(textIsHostile)) return { valid: false, whole: [] };
  return { valid: route.body ? route.body.safeParse(value).success : true, whole: [] };
}

/**
 * Whether a validation error is about the target field: on it, inside it, on
 * a container of it below the top (a union member), or on its parent and
 * saying its name (zod's unrecognized key).
 */
const related = (e: { path: string; message: string }, target: string) =>
  e.path === target ||
  e.path.startsWith(`${target}.`) ||
  (e.path.includes('.') && target.startsWith(`${e.path}.`)) ||
  (target.startsWith(`${e.path}.`) && e.message.includes(`"${target.slice(e.path.length + 1)}"`));

/** Why the answer to a request the oracle found invalid is not right, or undefined. */
function refusalProblem(res: Answer, verdict: Verdict, target: string): string | undefined {
  if (res.status < 400) return `${res.status}: invalid input accepted: ${res.text.slice(0, 200)}`;
  const b = res.body as { code?: string; detail?: string; errors?: { path: string; message: string }[] } | undefined;
  if (verdict.whole.includes(res.status) && (!verdict.because || verdict.because.test(b?.detail ?? ''))) return undefined;
  if (res.status === 422 && b?.code === 'validation_failed') {
    if (b.errors?.some((e) => related(e, target))) return undefined;
    return `422 does not name ${target}: ${JSON.stringify(b.errors ?? []).slice(0, 300)}`;
  }
  return `${res.status} ${b?.code ?? ''} instead of a refusal naming ${target}: ${res.text.slice(0, 200)}`;
}

/**
 * One property: `check` gets each generated value (and each example); it
 * throws on a wrong answer, and fast-check shrinks to a small counterexample
 * that the failure message shows with its seed and path.
 */
async function property<T>(op: Operation, field: string, arb: fc.Arbitrary<T>, examples: T[], check: (v: T) => Promise<void>, counts: { properties: number; cases: number } = propertyStats): Promise<void> {
  counts.properties++;
  const seed = seedFor(SEED, `${op.operationId} ${field}`);
  try {
    await fc.assert(
      fc.asyncProperty(fc.limitShrink(arb, 30), async (v) => {
        counts.cases++;
        await check(v);
      }),
      { seed, numRuns: FC_RUNS, examples: examples.map((e) => [e] as [T]) },
    );
  } catch (err) {
    // fast-check v4 keeps the error the check threw as the cause.
    const cause = (err as Error & { cause?: Error }).cause;
    const lines = [...String((err as Error).message).split('\n').filter((l) => /^(Property failed|\{ seed|Counterexample|Shrunk)/.test(l)), `Got: ${cause?.message ?? ''}`]
      .map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l));
    hostileFailures.push(`${op.operationId} ${field} (FC_SEED=${SEED}):\n    ${lines.join('\n    ')}`);
  }
}

/** Sends unless the request is valid for a write; checks the answer against the verdict. */
async function expectRefusal(op: Operation, v: Variant, verdict: Verdict, target: string): Promise<void> {
  if (verdict.valid && op.method !== 'get') {
    tallyOf(op).notSent++;
    return;
  }
  const where = whereOf(op, v);
  const res = await exchange(op, v);
  const key = res.status >= 400 ? `${res.status} ${(res.body as { code?: string } | undefined)?.code ?? ''}` : String(res.status);
  propertyStats.statuses.set(key, (propertyStats.statuses.get(key) ?? 0) + 1);
  const problems = answerProblems(where, res);
  if (problems.length) throw new Error(problems.join('; '));
  if (verdict.valid) {
    propertyStats.validRead++;
    return;
  }
  const wrong = refusalProblem(res, verdict, target);
  if (wrong) throw new Error(`${where}: ${wrong}`);
  if (verdict.whole.includes(res.status)) propertyStats.whole++;
  else propertyStats.named++;
}

/** Runs each operation's properties between two snapshots of every table. */
async function eachOperation(what: string, ops: Operation[], run: (op: Operation) => Promise<void>): Promise<void> {
  let last: Snapshot | undefined;
  for (const op of ops) last = await watching(op, what, () => run(op), (message) => hostileFailures.push(`data change: ${message}`), last);
}

function expectNoHostileFailures() {
  const found = hostileFailures.splice(0);
  if (process.env.BAD_INPUT_DUMP) console.log(found.join('\n'));
  expect(found, found.slice(0, 20).join('\n')).toEqual([]);
}

const urlPart = (v: Hostile) => percentEncode(hostileText(v));

describe('hostile Unicode, nesting and forged cursors in every field of every operation (fast-check)', () => {
  beforeAll(() => {
    sampleValid = validSample(doc, { ids, now: () => h.clock.now(), seed: SEED });
  });

  it('when a string field of a JSON body holds NUL, a lone surrogate, RTL controls, an over-long text or deep nesting, then it is a 4xx naming that field and no table changes', async () => {
    const ops = operations.filter((op) => op.bodyTypes.includes('application/json'));
    const invalidBases = ops.filter((op) => !routeOf(op).body?.safeParse(validBaseOf(op)).success).map((op) => op.operationId);
    let fields = 0;
    await eachOperation('hostile body fields', ops, async (op) => {
      const route = routeOf(op);
      for (const field of [...stringFields(doc, op.bodySchema), { label: '(a member name)', steps: [], errorPath: 'body' } as StringField]) {
        fields++;
        // The body with the field replaced by a placeholder, split where the hostile JSON goes in.
        // The steps-less field is an extra member whose name is the hostile text (a name is a string: no nesting there).
        const isName = field.steps.length === 0;
        const shaped = isName
          ? JSON.stringify({ ...(validBaseOf(op) as Record<string, Json>), [PLACEHOLDER]: 'x' })
          : JSON.stringify(setAt(doc, sampleValid, op.bodySchema, validBaseOf(op), field.steps, PLACEHOLDER));
        const parts = shaped.split(JSON.stringify(PLACEHOLDER));
        expect(parts.length, `${op.operationId} ${field.label}: placeholder not found once in ${shaped}`).toBe(2);
        const values = isName ? hostileValue(field.maxLength).filter((v) => v.kind === 'text') : hostileValue(field.maxLength);
        const examples = hostileExamples(field.maxLength).filter((v) => !isName || v.kind === 'text');
        await property(op, field.label, values, examples, async (v) => {
          const text = parts[0] + hostileJson(v) + parts[1];
          const bytes = wtf8(text);
          const verdict = judgeJsonBody(route, text, bytes.length, v);
          await expectRefusal(op, { label: `${field.label} = ${describeHostile(v)}`, path: pathWith(op), body: bytes, contentType: 'application/json' }, verdict, field.errorPath);
        });
      }
    });
    console.log(
      `hostile body fields: ${fields} string fields (and member names) of ${ops.length} JSON bodies; ` +
        `bases not valid on their own (refusals may name a sibling too): ${invalidBases.join(', ') || 'none'}`,
    );
    expect(fields).toBeGreaterThan(60);
    expectNoHostileFailures();
  }, 120_000);

  it('when a path parameter holds hostile text (percent-encoded NUL, lone surrogates as WTF-8, RTL, long, nesting), then it is a 4xx naming it and no table changes', async () => {
    const ops = operations.filter((op) => op.params.some((p) => p.in === 'path'));
    await eachOperation('hostile path parameters', ops, async (op) => {
      const route = routeOf(op);
      const body = validBodyOf(op);
      for (const prm of op.params.filter((p) => p.in === 'path')) {
        await property(op, `path.${prm.name}`, hostileValue(resolve(prm.schema).maxLength), hostileExamples(undefined), async (v) => {
          const encoded = urlPart(v);
          let decoded: string | undefined;
          try {
            decoded = decodeURIComponent(encoded);
          } catch {
            decoded = undefined;
          }
          const verdict: Verdict =
            decoded === undefined ? { valid: false, whole: [400], because: /URL is not correctly encoded/ }
            : textIsHostile(decoded) ? { valid: false, whole: [] }
            : { valid: route.params ? route.params.safeParse({ ...validPathParams(op), [prm.name]: decoded }).success : true, whole: [] };
          await expectRefusal(op, { label: `path ${prm.name} = ${describeHostile(v)}`, path: pathWith(op, { [prm.name]: encoded }), ...body }, verdict, `path.${prm.name}`);
        });
      }
    });
    expectNoHostileFailures();
  }, 120_000);

  it('when a query parameter, declared or not, holds hostile text, then it is a 4xx naming it (or, when the value decodes to one it takes, an answer below 500) and no table changes', async () => {
    // Every operation: its declared parameters, and one it does not declare (every query string is checked for text that is not text).
    const UNDECLARED: Parameter = { name: 'unexpected', in: 'query' };
    let params = 0;
    await eachOperation('hostile query parameters', operations, async (op) => {
      const route = routeOf(op);
      const body = validBodyOf(op);
      for (const prm of [...op.params.filter((p) => p.in === 'query'), UNDECLARED]) {
        params++;
        const others = requiredQuery(op, prm.name).map(([k, val]) => `${k}=${encodeURIComponent(val)}`);
        await property(op, `query.${prm.name}`, hostileValue(resolve(prm.schema).maxLength), hostileExamples(undefined), async (v) => {
          const q = [...others, `${prm.name}=${urlPart(v)}`].join('&');
          // Percent-encoding that is not UTF-8 is refused as a whole query string (400), as it is in a path.
          let decodes = true;
          try {
            decodeURIComponent(urlPart(v).replace(/\+/g, ' '));
          } catch {
            decodes = false;
          }
          const parsed = querystring.parse(q);
          const hostile = Object.values(parsed).flat().some((x) => typeof x === 'string' && textIsHostile(x));
          // A route without a query schema reads no query: then only text that is not text makes it invalid.
          const verdict: Verdict = !decodes ? { valid: false, whole: [400], because: /query string is not correctly encoded/ }
            : hostile ? { valid: false, whole: [] } : { valid: route.query ? route.query.safeParse(parsed).success : true, whole: [] };
          await expectRefusal(op, { label: `query ${prm.name} = ${describeHostile(v)}`, path: pathWith(op), query: q, ...body }, verdict, `query.${prm.name}`);
        });
      }
    });
    expect(params).toBeGreaterThan(40 + operations.length);
    expectNoHostileFailures();
  }, 120_000);

  it('when a paginated list gets a forged cursor (non-dates, year 275760, wrong types, missing or extra members, not JSON, too long), then it is a 422 naming query.cursor and no table changes', async () => {
    const lists = operations.filter((op) => op.method === 'get' && op.params.some((p) => p.in === 'query' && p.name === 'cursor'));
    const found: string[] = [];
    await eachOperation('forged cursors', lists, async (op) => {
      const others = requiredQuery(op, 'cursor').map(([k, val]) => `${k}=${encodeURIComponent(val)}`);
      const get = (cursor: string, label: string) => exchange(op, { label, path: pathWith(op), query: [...others, `cursor=${percentEncode(cursor)}`].join('&') });
      // Which members this list's cursor needs: a cursor with every known member (extra ones are ignored) is taken; leave one out at a time.
      const pool: Record<string, CursorKeyKind> = { at: 'instant', createdAt: 'instant', startsAt: 'instant', id: 'uuid', lineNo: 'lineNo' };
      const real = (await exchange(op, { label: 'first page of one', path: pathWith(op), query: [...others, 'limit=1'].join('&') })).body as { nextCursor?: string | null } | undefined;
      const issued = real?.nextCursor ? (JSON.parse(Buffer.from(real.nextCursor, 'base64url').toString('utf8')) as Record<string, string>) : undefined;
      for (const [k, val] of Object.entries(issued ?? {})) pool[k] ??= /^\d+$/.test(val) ? 'lineNo' : /^[0-9a-f-]{36}$/i.test(val) ? 'uuid' : 'instant';
      const json = (keys: string[]) => `{${keys.map((k) => `${JSON.stringify(k)}:${cursorKeyKinds[pool[k]!].valid()}`).join(',')}}`;
      const all = await get(Buffer.from(json(Object.keys(pool))).toString('base64url'), 'cursor with every member');
      if (all.status !== 200) {
        hostileFailures.push(`${op.operationId}: a cursor with every known member is refused (${all.status} ${all.text.slice(0, 200)}): add its members to the pool`);
        return;
      }
      const keys: Record<string, CursorKeyKind> = {};
      for (const k of Object.keys(pool)) {
        const without = await get(Buffer.from(json(Object.keys(pool).filter((x) => x !== k))).toString('base64url'), `cursor without ${k}`);
        if (without.status === 422) keys[k] = pool[k]!;
      }
      found.push(`${op.operationId} {${Object.keys(keys).join(', ')}}`);
      if (Object.keys(keys).length === 0) {
        hostileFailures.push(`${op.operationId}: takes a cursor without any member it needs`);
        return;
      }
      if (issued && Object.keys(issued).sort().join() !== Object.keys(keys).sort().join()) {
        hostileFailures.push(`${op.operationId}: issues cursors with {${Object.keys(issued).join(', ')}} but refuses only when {${Object.keys(keys).join(', ')}} is missing`);
      }
      await property(op, 'query.cursor (forged)', forgedCursor(keys), forgedCursorExamples(keys), async (c: ForgedCursor) => {
        await expectRefusal(op, { label: `cursor ${c.label}`, path: pathWith(op), query: [...others, `cursor=${percentEncode(c.cursor)}`].join('&') }, { valid: !c.mustRefuse, whole: [] }, 'query.cursor');
      });
    });
    console.log(`forged cursors: ${lists.length} paginated lists, cursor members found by probing: ${found.join('; ')}`);
    expect(lists.length).toBeGreaterThan(8);
    expectNoHostileFailures();
  }, 120_000);

  it('when a bank statement holds NUL or a lone surrogate in any CSV column or camt.053 element, then it is a 4xx for the body and no table changes', async () => {
    const ops = operations.filter((op) => op.bodyTypes.some((t) => t === 'text/csv' || t === 'application/xml'));
    expect(ops.length).toBeGreaterThan(0);
    const header = ['booking_date', 'end_to_end_id', 'amount', 'currency', 'direction', 'type', 'status'];
    const row = ['2027-03-01', 'LCunknownreference000000000000000001', '10.00', 'SGD', 'DBIT', 'payment', 'BOOK'];
    const xmlFields: Record<string, (text: string) => CamtStatement> = {
      'Stmt/Id': (t) => ({ id: t, entries: [{ amount: 1000n, direction: 'DBIT', endToEndId: 'LCx' }] }),
      'Acct/Othr/Id': (t) => ({ account: { other: t }, entries: [{ amount: 1000n, direction: 'DBIT', endToEndId: 'LCx' }] }),
      EndToEndId: (t) => ({ entries: [{ amount: 1000n, direction: 'DBIT', endToEndId: t }] }),
      'Sts/Prtry': (t) => ({ entries: [{ amount: 1000n, direction: 'DBIT', endToEndId: 'LCx', status: { proprietary: t } }] }),
      'RtrInf/Rsn/Cd': (t) => ({ entries: [{ amount: 1000n, direction: 'CRDT', endToEndId: 'LCx', returnReason: t }] }),
      'BookgDt/Dt': (t) => ({ entries: [{ amount: 1000n, direction: 'DBIT', endToEndId: 'LCx', bookingDate: t }] }),
      SubFmlyCd: (t) => ({ entries: [{ amount: 1000n, direction: 'DBIT', endToEndId: 'LCx', subFamily: t }] }),
    };
    await eachOperation('hostile statement text', ops, async (op) => {
      const statement = async (label: string, text: string, contentType: string, bytes: Buffer) => {
        // Only text that is not text is sent: other odd values make a valid statement, and importing it is a change.
        await expectRefusal(op, { label, path: pathWith(op), body: bytes, contentType }, textIsHostile(text) ? { valid: false, whole: [400], because: NOT_UTF8 } : { valid: true, whole: [] }, 'body');
      };
      for (const [col, name] of header.entries()) {
        await property(op, `csv:${name}`, hostileValue(undefined), hostileExamples(undefined), async (v) => {
          const t = hostileText(v);
          const csv = [header.join(','), row.map((x, i) => (i === col ? t : x)).join(',')].join('\n');
          await statement(`csv ${name} = ${describeHostile(v)}`, t, 'text/csv', wtf8(csv));
        });
      }
      for (const [name, build] of Object.entries(xmlFields)) {
        await property(op, `camt.053:${name}`, hostileValue(undefined), hostileExamples(undefined), async (v) => {
          const t = hostileText(v);
          await statement(`camt.053 ${name} = ${describeHostile(v)}`, t, 'application/xml', wtf8(camt053(build(t))));
        });
      }
    });
    expectNoHostileFailures();
  }, 120_000);

  it('when a free-text field of a write holds unusual but valid Unicode (RTL, astral, combining marks, BOM, non-characters), then it is stored or refused with a 4xx, never a 5xx, and every read still answers', async () => {
    // The one place generated input may change data, on purpose: it runs last and outside the snapshots.
    const writes = operations.filter((op) => op.method !== 'get' && op.bodyTypes.includes('application/json'));
    for (const op of writes) {
      for (const field of stringFields(doc, op.bodySchema).filter((f) => f.free)) {
        const max = field.maxLength ?? 200;
        await property(op, `${field.label} (valid Unicode)`, oddButValidText(max), oddButValidExamples(max), async (t) => {
          const body = setAt(doc, sampleValid, op.bodySchema, await freshBase(op), field.steps, PLACEHOLDER);
          const parts = JSON.stringify(body).split(JSON.stringify(PLACEHOLDER));
          const v: Variant = { label: `${field.label} = ${JSON.stringify(t.slice(0, 40))} (${t.length})`, path: pathWith(op), body: wtf8(parts[0] + JSON.stringify(t) + parts[1]), contentType: 'application/json' };
          const answer = await exchange(op, v, validTallies);
          if (answer.status >= 400) {
            const code = `${answer.status} ${(answer.body as { code?: string } | undefined)?.code ?? ''}`;
            validStats.refusals.set(code, (validStats.refusals.get(code) ?? 0) + 1);
            if (process.env.BAD_INPUT_DUMP) console.log(`${op.operationId} ${v.label}: ${code} ${answer.text.slice(0, 300)}`);
          }
          const problems = answerProblems(whereOf(op, v), answer);
          if (problems.length) throw new Error(problems.join('; '));
        }, validStats);
      }
    }
    // What was stored must still read back: every read, with valid parameters, in every format it offers.
    for (const op of operations.filter((o) => o.method === 'get')) {
      const formats = resolve(op.params.find((p) => p.in === 'query' && p.name === 'format')?.schema).enum ?? [null];
      for (const format of formats) {
        const query = [...requiredQuery(op, 'format').map(([k, val]) => `${k}=${encodeURIComponent(val)}`), ...(format === null ? [] : [`format=${String(format)}`])].join('&');
        const v: Variant = { label: `read after odd Unicode${format === null ? '' : ` as ${String(format)}`}`, path: pathWith(op), query };
        validStats.reads++;
        hostileFailures.push(...answerProblems(whereOf(op, v), await exchange(op, v, validTallies)));
      }
    }
    console.log(
      `valid Unicode: ${validStats.properties} free-text fields of ${writes.length} writes, ${validStats.cases} values ` +
        `(refusals: ${[...validStats.refusals.entries()].sort().map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}); then ${validStats.reads} reads`,
    );
    expect(validStats.properties).toBeGreaterThan(20);
    expectNoHostileFailures();
  }, 120_000);
});

/** The per-operation table: printed, and written to reports/robustness.md when reports/ exists (.ci/run makes it). */
function report(): void {
  if (tallies.size === 0 && validTallies.size === 0) return;
  const rows = [...tallies.entries()].sort(([x], [y]) => x.localeCompare(y));
  const total = rows.reduce((m, [, t]) => ({ tried: m.tried + t.tried, s4xx: m.s4xx + t.s4xx, s2xx: m.s2xx + t.s2xx, s5xx: m.s5xx + t.s5xx, notSent: m.notSent + t.notSent, changes: m.changes + t.dataChanges.length }), { tried: 0, s4xx: 0, s2xx: 0, s5xx: 0, notSent: 0, changes: 0 });
  const lines = [
    '| operationId | inputs tried | 4xx | 2xx (valid, on a read) | 5xx (must be 0) | data changes (must be 0) | valid for a write, not sent |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(([id, t]) => `| ${id} | ${t.tried} | ${t.s4xx} | ${t.s2xx} | ${t.s5xx} | ${t.dataChanges.length} | ${t.notSent} |`),
    `| **all ${rows.length} operations** | **${total.tried}** | **${total.s4xx}** | **${total.s2xx}** | **${total.s5xx}** | **${total.changes}** | **${total.notSent}** |`,
  ];
  const valid = [...validTallies.entries()].sort(([x], [y]) => x.localeCompare(y));
  const validLines = valid.length === 0 ? [] : [
    '',
    '## Valid but unusual Unicode in free-text fields of writes, then every read (data may change: run last, outside the snapshots)',
    '',
    '| operationId | requests | 2xx | 4xx | 5xx (must be 0) |',
    '|---|---:|---:|---:|---:|',
    ...valid.map(([id, t]) => `| ${id} | ${t.tried} | ${t.s2xx} | ${t.s4xx} | ${t.s5xx} |`),
  ];
  const text = [
    '# Robustness: bad input per operation',
    '',
    `test/robustness/bad-input.test.ts, FC_SEED=${SEED}, FC_RUNS=${FC_RUNS}: ${propertyStats.properties} fast-check properties, ${propertyStats.cases} generated cases ` +
      `(each field's examples included), on top of the fixed malformed-request variants. An input the oracle found valid is sent only to a read. ` +
      `Of the generated invalid inputs, ${propertyStats.named} were refused with a 422 naming the field, ${propertyStats.whole} as a whole request ` +
      `(nesting past 64 levels, bytes that are not UTF-8 or a URL that does not decode, a body over the limit); ${propertyStats.validRead} valid ones went to reads. ` +
      `Answers: ${[...propertyStats.statuses.entries()].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}.`,
    '',
    ...lines,
    ...validLines,
    '',
  ].join('\n');
  console.log(text);
  const reports = path.join(root, 'reports');
  if (existsSync(reports)) writeFileSync(path.join(reports, 'robustness.md'), text);
}
