import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { openApiDocumentForRoutes } from '../../src/http/openapi-document.js';
import { apiTags } from '../../src/http/openapi.js';
import { problemSchema } from '../../src/http/problem.js';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createNationalIdProtector } from '../../src/lib/national-id.js';

/**
 * What a client generator needs from openapi/openapi.json: tags it knows,
 * a description and examples on every operation, examples that are valid
 * for the schemas that validate the requests, the headers the service
 * sends, errors derived from what the operation takes, and a clean lint.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Media {
  example?: unknown;
}
interface Response {
  $ref?: string;
  description?: string;
  headers?: Record<string, { $ref?: string }>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId: string;
  description?: string;
  tags: string[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Document {
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Response>; headers: Record<string, unknown> };
}

const doc = JSON.parse(JSON.stringify(openApiDocumentForRoutes())) as Document;
const routes: AnyRoute[] = allRoutes({
  database: {} as never, ledger: new Ledger({ clock: systemClock }), clock: systemClock, logger: createLogger('silent'),
  nationalIds: createNationalIdProtector('x'.repeat(32)),
});
const opOf = (route: AnyRoute) => doc.paths[route.path]![route.method]!;
const key = (route: AnyRoute) => `${route.method.toUpperCase()} ${route.path}`;
const resolve = (r: Response): Response => (r.$ref ? doc.components.responses[r.$ref.replace('#/components/responses/', '')]! : r);
const headerNames = (r: Response) => Object.keys(resolve(r).headers ?? {});

describe('OpenAPI tags', () => {
  it('when the document is built, then every tag an operation names is declared once, with a description', () => {
    expect(doc.tags.map((t) => t.name)).toEqual(Object.keys(apiTags));
    for (const t of doc.tags) expect(t.description.length, t.name).toBeGreaterThan(20);
    for (const route of routes) for (const tag of route.tags) expect(Object.keys(apiTags), `${key(route)} names tag ${tag}`).toContain(tag);
  });

  it('when a route names a tag that is not declared, then the document is not built', async () => {
    const { buildOpenApiDocument } = await import('../../src/http/openapi.js');
    const stray = { ...routes[0]!, tags: ['no-such-tag'] };
    expect(() => buildOpenApiDocument([stray])).toThrow(/tag no-such-tag is not in apiTags/);
  });
});

describe('OpenAPI operations', () => {
  it('when the document is read, then every operation has a description of its own', () => {
    for (const route of routes) {
      const op = opOf(route);
      expect(op.description, key(route)).toBeTruthy();
      expect(op.description!.length, key(route)).toBeGreaterThan(30);
    }
  });
});

describe('OpenAPI examples', () => {
  it('when every request body example is parsed with the route\'s own body schema, then each is valid', () => {
    for (const route of routes.filter((r) => r.body)) {
      const content = opOf(route).requestBody!.content;
      for (const [type, media] of Object.entries(content)) {
        expect(media.example, `${key(route)} ${type}`).toBeDefined();
        const parsed = route.body!.safeParse(media.example);
        expect(parsed.success, `${key(route)} ${type}: ${parsed.error?.message}`).toBe(true);
      }
    }
  });

  it('when every success response example is parsed with the route\'s response schema, then each is valid', () => {
    let checked = 0;
    for (const route of routes) {
      for (const [status, spec] of Object.entries(route.responses)) {
        if (Number(status) >= 400 || !spec.schema) continue;
        const content = opOf(route).responses[status]!.content!;
        for (const [type, media] of Object.entries(content)) {
          expect(media.example, `${key(route)} ${status} ${type}`).toBeDefined();
          const schema = type === (spec.contentType ?? 'application/json') ? spec.schema : z.string().min(1);
          const parsed = schema.safeParse(media.example);
          expect(parsed.success, `${key(route)} ${status} ${type}: ${parsed.error?.message}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(routes.length);
  });

  it('when every error example is parsed as a problem, then each is valid and its status matches the response', () => {
    const errors = [
      ...Object.values(doc.paths).flatMap((item) => Object.values(item)).flatMap((op) => Object.entries(op.responses)),
      ...Object.values(doc.components.responses).map((r) => [String((r.content!['application/problem+json']!.example as { status: number }).status), r] as const),
    ].filter(([status, r]) => Number(status) >= 400 && !r.$ref);
    expect(errors.length).toBeGreaterThan(10);
    for (const [status, r] of errors) {
      const example = r.content!['application/problem+json']!.example;
      const parsed = problemSchema.safeParse(example);
      expect(parsed.success, `${status} ${r.description}: ${parsed.error?.message}`).toBe(true);
      expect(parsed.data!.status).toBe(Number(status));
    }
  });

  it('when an amount is shown, then it is a string of minor units with SGD beside it', () => {
    const op = doc.paths['/v1/schemes/{schemeId}/allocations']!.post!;
    expect(op.requestBody!.content['application/json']!.example).toMatchObject({ amount: '50000' });
    expect(op.responses['201']!.content!['application/json']!.example).toMatchObject({ amount: expect.stringMatching(/^\d+$/), currency: 'SGD' });
  });
});

describe('OpenAPI responses', () => {
  it('when the document is read, then every response declares X-Request-Id and traceparent, and 429 and 503 declare Retry-After', () => {
    for (const route of routes) {
      for (const [status, r] of Object.entries(opOf(route).responses)) {
        expect(headerNames(r), `${key(route)} ${status}`).toEqual(expect.arrayContaining(['X-Request-Id', 'traceparent']));
        if (status === '429' || status === '503') expect(headerNames(r), `${key(route)} ${status}`).toContain('Retry-After');
      }
    }
  });

  it('when an operation takes an Idempotency-Key, then its successes declare Idempotent-Replayed; when it does not, no response does', () => {
    for (const route of routes) {
      for (const [status, r] of Object.entries(opOf(route).responses)) {
        const replayable = headerNames(r).includes('Idempotent-Replayed');
        if (!route.idempotent) expect(replayable, `${key(route)} ${status}`).toBe(false);
        else if (Number(status) < 300) expect(replayable, `${key(route)} ${status}`).toBe(true);
        else if (['400', '401', '413', '415', '429', '500', '503'].includes(status)) expect(replayable, `${key(route)} ${status}`).toBe(false);
      }
    }
  });

  it('when a report is read, then it is declared as JSON and as text/csv, with Content-Disposition; the payment file as XML and CSV', () => {
    const csvOps = ['/v1/reports/schemes', '/v1/reports/trial-balance', '/v1/reports/holds', '/v1/reports/recoveries', '/v1/reports/reconciliation-exceptions', '/v1/reports/providers/{providerId}/statement'];
    for (const p of csvOps) {
      const ok = doc.paths[p]!.get!.responses['200']!;
      expect(Object.keys(ok.content!), p).toEqual(['application/json', 'text/csv']);
      expect(String(ok.content!['text/csv']!.example), p).toMatch(/^[a-z_,]+\r\n.*\r\n$/s);
      expect(headerNames(ok), p).toContain('Content-Disposition');
    }
    const file = doc.paths['/v1/disbursement-batches/{batchId}/payment-file']!.get!.responses['200']!;
    expect(Object.keys(file.content!)).toEqual(['application/xml', 'text/csv']);
    expect(String(file.content!['application/xml']!.example)).toContain('urn:iso:std:iso:20022:tech:xsd:pain.001.001.09');
    expect(headerNames(file)).toContain('Content-Disposition');
    const statement = doc.paths['/v1/bank-statements']!.post!.requestBody!.content;
    expect(String(statement['application/xml']!.example)).toContain('camt.053.001.08');
    expect(String(statement['text/csv']!.example)).toContain('booking_date,end_to_end_id,amount,currency,direction,type,status');
  });

  it('when errors are derived, then 400 and 422 come only with input, 413 and 415 only with a body, 404 only with a path or a declared one', () => {
    for (const route of routes) {
      const statuses = Object.keys(opOf(route).responses).map(Number);
      const input = !!(route.params || route.query || route.body || route.idempotent);
      const declared = (s: number) => s in route.responses;
      expect(statuses.includes(400), key(route)).toBe(input || declared(400));
      expect(statuses.includes(422), key(route)).toBe(input || declared(422));
      expect(statuses.includes(413), key(route)).toBe(!!route.body || declared(413));
      expect(statuses.includes(415), key(route)).toBe(!!route.body || declared(415));
      expect(statuses.includes(404), key(route)).toBe(!!route.params || declared(404));
      expect(statuses.includes(409), key(route)).toBe(!!route.idempotent || declared(409));
      // A public route reads no token and checks no role: it cannot answer 401 or 403.
      for (const s of route.public ? [429, 500, 503] : [401, 403, 429, 500, 503]) expect(statuses, key(route)).toContain(s);
      if (route.public) expect(statuses.filter((s) => s === 401 || s === 403), key(route)).toEqual([]);
    }
    const me = doc.paths['/v1/me']!.get!.responses;
    expect(Object.keys(me)).toEqual(['200', '401', '403', '429', '500', '503']);
  });

  it('when a route declares an error status, then the document keeps its description and shows its problem code in the example', () => {
    const r = doc.paths['/v1/disbursement-batches/{batchId}/payment-file']!.get!.responses['409']!;
    expect(r.description).toMatch(/`invalid_state`/);
    expect(r.content!['application/problem+json']!.example).toMatchObject({ code: 'invalid_state', status: 409 });
  });
});

describe('redocly lint', () => {
  it('when openapi/openapi.json is linted with the recommended rules, then there are no errors and no warnings', async () => {
    const bin = path.join(root, 'node_modules/.bin/redocly');
    const { stdout, stderr } = await promisify(execFile)(bin, ['lint', 'openapi/openapi.json', '--config', '.redocly.yaml', '--format', 'json'], {
      cwd: root, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' }, maxBuffer: 64 * 1024 * 1024,
    }).catch((err: { stdout: string; stderr: string }) => err);
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`), stderr).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);
});
