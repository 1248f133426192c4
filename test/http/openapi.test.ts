import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { roles as knownRoles } from '../../src/lib/principal.js';
import { openApiDocumentForRoutes } from '../../src/http/openapi-document.js';
import type { AnyRoute } from '../../src/http/route.js';
import { allRoutes } from '../../src/modules/index.js';
import { useHarness } from '../support/harness.js';

const committedPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../openapi/openapi.json');
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Operation {
  operationId?: string;
  'x-roles'?: string[];
  'x-public'?: boolean;
  security?: unknown[];
  responses?: Record<string, unknown>;
}
type Document = {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof methods)[number], Operation>>>;
  components?: { responses?: Record<string, unknown> };
};

/** A response, or the shared one its $ref names. */
const resolved = (doc: Document, response: unknown) => {
  const ref = (response as { $ref?: string }).$ref;
  return ref ? doc.components?.responses?.[ref.replace('#/components/responses/', '')] : response;
};

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([p, item]) =>
    methods.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${p}`, method: m, path: p, op: item[m]! })),
  );

const h = useHarness();
let committed: Document;
let routes: AnyRoute[];

beforeAll(async () => {
  routes = allRoutes(h.deps);
  committed = JSON.parse(await readFile(committedPath, 'utf8')) as Document;
});

describe('openapi/openapi.json', () => {
  it('when the routes are regenerated in memory, then the committed document is identical (else run `npm run openapi`)', () => {
    const fresh = JSON.parse(JSON.stringify(openApiDocumentForRoutes())) as Document;
    expect(
      Object.keys(fresh.paths).sort(),
      'openapi/openapi.json is stale: its paths differ from the routes. Run `npm run openapi` and commit the result.',
    ).toEqual(Object.keys(committed.paths).sort());
    expect(fresh, 'openapi/openapi.json is stale. Run `npm run openapi` and commit the result.').toEqual(committed);
  });

  it('when the document is read, then every declared route has exactly one operation, with its operationId and roles', () => {
    const ops = operations(committed);
    expect(ops.length).toBe(routes.length);
    for (const route of routes) {
      const op = committed.paths[route.path]?.[route.method];
      expect(op, `${route.method.toUpperCase()} ${route.path} missing from openapi.json`).toBeDefined();
      expect(op!.operationId).toBe(route.operationId);
      expect(op!['x-roles']).toEqual([...route.roles]);
    }
  });

  it('when the document is read, then every operation has an operationId, non-empty x-roles, bearer security and problem responses', () => {
    for (const { key, op } of operations(committed)) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z0-9]+$/);
      expect(op['x-roles'], key).toBeInstanceOf(Array);
      if (op['x-public'] === true) {
        // A public operation (PublicRouteSpec): no token, no roles, so no 401 or 403; its per-address limit is the 429.
        expect(op['x-roles'], key).toEqual([]);
        expect(op.security, key).toEqual([]);
        for (const status of ['401', '403']) expect(op.responses?.[status], `${key} ${status}`).toBeUndefined();
        for (const status of ['429', '500', '503']) expect(op.responses?.[status], `${key} ${status}`).toBeDefined();
      } else {
        expect(op['x-roles']!.length, key).toBeGreaterThan(0);
        for (const role of op['x-roles']!) expect(knownRoles, key).toContain(role);
        expect(op.security, key).toEqual([{ bearerAuth: [] }]);
        for (const status of ['401', '403', '429', '500', '503']) expect(op.responses?.[status], `${key} ${status}`).toBeDefined();
      }
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (Number(status) < 400) continue;
        expect(resolved(committed, response), `${key} ${status}`).toMatchObject({ content: { 'application/problem+json': expect.anything() } });
      }
    }
    const ids = operations(committed).map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('GET /openapi.json', () => {
  it('when requested without a token, then it serves the OpenAPI 3.1.0 document generated from the routes', async () => {
    const res = await request(h.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.info.title).toBe('Learning Credits API');
    expect(res.body).toEqual(JSON.parse(JSON.stringify(openApiDocumentForRoutes())));
  });
});

describe('GET /docs/', () => {
  it('when requested, then it returns the Swagger UI HTML page', async () => {
    const res = await request(h.app).get('/docs/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<title>Learning Credits API</title>');
    expect(res.text).toMatch(/swagger-ui/i);
  });

  it('when the UI initialiser is fetched, then it embeds the same document', async () => {
    const res = await request(h.app).get('/docs/swagger-ui-init.js');
    expect(res.status).toBe(200);
    expect(res.text).toContain('"openapi": "3.1.0"');
    for (const route of routes) expect(res.text).toContain(`"operationId": "${route.operationId}"`);
  });
});
