import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { problemSchema } from './problem.js';
import { commonErrorStatuses, type AnyRoute } from './route.js';

const errorDescriptions: Record<number, string> = {
  400: 'Malformed request (bad JSON, missing Idempotency-Key)',
  401: 'Missing, forged or expired bearer token',
  403: 'Your role or tenancy may not do this',
  404: 'Not found, or not yours',
  409: 'Conflicts with the current state (insufficient funds, duplicate, key in use)',
  413: 'Body too large',
  415: 'Wrong content type',
  422: 'Invalid input or a business rule refused it; `errors` names each field',
  500: 'Unexpected error',
  503: 'Database unavailable; retry',
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: AnyRoute[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const problemContent = { 'application/problem+json': { schema: problemSchema } };

  for (const route of routes) {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } } : {}),
      };
    }
    const errorStatuses = new Set<number>([...commonErrorStatuses, ...(route.idempotent ? [409] : [])]);
    for (const status of errorStatuses) {
      responses[String(status)] ??= { description: errorDescriptions[status] ?? 'Error', content: problemContent };
    }
    const headers = route.idempotent
      ? z.object({
          'Idempotency-Key': z.string().min(1).max(255).meta({
            description: 'Unique per intended operation; a retry with the same key returns the first response',
          }),
        })
      : undefined;
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      security: [{ bearerAuth: [] }],
      'x-roles': [...route.roles],
      request: {
        ...(route.params ? { params: route.params as z.ZodObject } : {}),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(headers ? { headers } : {}),
        ...(route.body
          ? { body: { required: true, content: Object.fromEntries((route.bodyContentType ?? 'application/json').split(',').map((t) => [t.trim(), { schema: route.body! }])) } }
          : {}),
      },
      responses,
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Learning Credits API',
      version: '1.0.0',
      description: [
        'National learning-credit funding and claims service. Amounts in JSON are integer minor units, as strings, with an ISO 4217 currency beside them (`"30000"` SGD is SGD 300.00); payment files and bank statements use decimals (`300.00`). Errors are RFC 9457 problem+json with a stable `code`. Every request that moves money takes an `Idempotency-Key` header.',
        '',
        '## Getting a token',
        '',
        'Every `/v1` operation takes a bearer JWT (`Authorization: Bearer <token>`) whose `role` claim is `citizen`, `provider`, `finance` or `admin`; each operation lists the roles it accepts under `x-roles`.',
        '',
        'On a development start (`npm start`), tokens are signed with the key the service generated in `DATA_DIR`. From the project folder:',
        '',
        '```',
        'npm run -s token -- --role admin',
        'npm run -s token -- --role finance                         # a second officer: --role finance --sub officer-2',
        'npm run -s token -- --role citizen --learner <learnerId>',
        'npm run -s token -- --role provider --provider <providerId>',
        '```',
        '',
        'The token is the last line printed; the start-up log lists the demo learner and provider ids. Press **Authorize** above and paste it. In a deployment, tokens come from the identity provider whose keys `AUTH_JWKS` names (issuer `AUTH_ISSUER`, audience `AUTH_AUDIENCE`).',
      ].join('\n'),
    },
    servers: [{ url: '/' }],
  });
}
