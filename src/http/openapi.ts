import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { exampleId, exampleOf } from './openapi-examples.js';
import type { ErrorCode } from '../lib/app-error.js';
import { problemBody, problemSchema } from './problem.js';
import { errorStatusesOf, type AnyRoute, type ResponseSpec } from './route.js';

/** The tags an operation may name, in the order the docs show them. */
export const apiTags = {
  me: 'What a signed-in citizen (role `citizen`) sees and does about themselves: their profile, credit, transactions, eligibility, enrolments and claims. The learner is the one in the token.',
  schemes: 'Funding schemes: their rules (versioned, effective from a date) and their budgets, which admins fund from the treasury.',
  learners: 'The learner register, kept by admins: registration, look-up by national id, and each learner\'s credit account.',
  grants: 'Credit granted to learners from a scheme\'s budget, one at a time or by a grant run over every eligible learner.',
  providers: 'Training providers: their registration, bank account (changed only with a second officer\'s approval) and the keys that sign their completion credentials.',
  courses: 'Courses and their runs, published by providers, and the schemes an admin approves each course for.',
  eligibility: 'Whether a learner may use credit for a course run, and how much: the same rules the enrolment applies.',
  enrolments: 'A provider\'s enrolment request reserves credit once the learner consents; withdrawal, decline or cancellation releases it.',
  claims: 'Providers claim the reserved credit with a signed completion credential; finance decides claims that are held.',
  finance: 'Disbursement to providers (batches, released by a second officer, as payment files), recoveries, and bank statement reconciliation.',
  approvals: 'Four-eyes proposals: one officer proposes (a batch release, a payee change), another approves or rejects.',
  equity: 'Equity targeting: household income group tables per country and year, learners\' equity profiles (personal data, admin only), and the equity report of aggregates for analysts.',
  reports: 'Figures as of a date, from the ledger\'s transfers: as JSON, or as CSV with `format=csv`.',
  ledger: 'The double-entry ledger underneath: balances and transfers of one account.',
  appeals: 'Appeals against a grant that expired or lapsed: the learner appeals within the scheme\'s `appealWindowDays`; an officer proposes a reinstatement, which a second officer approves (four eyes) as a new grant from the scheme\'s budget, or rejects the appeal.',
  pathways: 'Stackable pathways: courses a learner completes under a rule (all, or k of n, within a time limit), the scheme-signed Open Badges 3.0 credential for the stack, its Bitstring Status List, and the bonus credit.',
  counter: 'Assisted digital (role `counter`): a service-counter officer finds a learner who is present by national id, with a reason, and acts for them within a 30-minute visit: credit, history, eligibility, and consent or decline with the learner\'s attestation recorded each time. The audit trail and the learner\'s history name the officer.',
  webhooks: 'Provider webhooks (Standard Webhooks): a provider registers endpoints for the events about its own business, each signed with the endpoint\'s secret (rotated with a 24-hour overlap); failed deliveries are retried for 3 days, then dead-lettered; the provider lists deliveries and their attempts and replays one.',
  'data-rights': 'Personal data rights (PDPA, Indonesia\'s PDP law, GDPR): a learner downloads everything held about them, every staff read of their personal data is logged for them and for an administrator, and an erasure (on a lawful request, approved by a second administrator, or after the retention period) removes their personal data while the ledger and the audit chain stay exact.',
  audit: 'The append-only, hash-chained audit trail of every change, and its verification.',
  credentials: 'A learner\'s verified record: every credential that backed an approved claim, kept as the provider signed it, with its live status, and share links for employers.',
  public: 'Operations anyone may call without signing in (`security: []`, `x-public: true`), rate-limited per client address: an employer verifies a credential or opens a share link.',
} as const;

/** What each derived error status means when the route says nothing more; the codes are the problem `code`s. */
const errorDescriptions: Record<number, string> = {
  400: '`malformed_json`: the body is not JSON; `idempotency_key_required`: no Idempotency-Key header; `bad_request`: the URL is not correctly encoded',
  401: '`unauthenticated`: missing, malformed, forged or expired bearer token',
  403: '`forbidden`: your role or tenancy may not do this',
  404: '`not_found`: it does not exist, or it is not yours (the two are answered alike)',
  409: '`idempotency_key_in_use`: a request with this Idempotency-Key is still running; `conflict`: it would duplicate an existing record',
  413: '`payload_too_large`: the body is larger than this operation accepts',
  415: '`unsupported_media_type`: the body is not of the content type this operation takes',
  422: '`validation_failed`: invalid input, and `errors` names each field; `idempotency_key_reused`: the Idempotency-Key was used for a different request; `rule_violation`: a rule of the data refused it',
  429: '`rate_limited`: too many failed authentications from this address in a minute; Retry-After gives the seconds to wait',
  500: '`internal_error`: an unexpected error, logged with the request id',
  503: '`service_unavailable`: the database is unavailable or the request conflicted with another; retry after Retry-After seconds',
};

const rateLimitDescriptions: Record<string, string> = {
  eligibility: '`rate_limited`: too many eligibility checks by this caller in a minute, or too many failed authentications from this address; Retry-After gives the seconds to wait',
  learnerLookup: '`rate_limited`: too many learner look-ups by this caller in a minute, or too many failed authentications from this address; Retry-After gives the seconds to wait',
  publicVerify: '`rate_limited`: too many credential verifications from this client address in a minute (nobody signs in, so the address is what is counted); Retry-After gives the seconds to wait',
};

/** The problem code shown in a derived error's example, and its detail. */
const exampleCode: Record<number, ErrorCode> = {
  400: 'idempotency_key_required', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'idempotency_key_in_use', 413: 'payload_too_large',
  415: 'unsupported_media_type', 422: 'validation_failed', 429: 'rate_limited', 500: 'internal_error', 503: 'service_unavailable',
};
const exampleDetail: Partial<Record<ErrorCode, string>> = {
  idempotency_key_required: 'this request changes state: send an Idempotency-Key header',
  unauthenticated: 'the bearer token has expired',
  forbidden: 'the provider role may not call grantCredit',
  not_found: 'enrolment not found',
  idempotency_key_in_use: 'a request with this Idempotency-Key is still in progress',
  payload_too_large: 'the body is larger than the 256kb that createScheme accepts',
  unsupported_media_type: 'send the body as application/json',
  validation_failed: 'the request is not valid',
  rate_limited: 'too many failed authentications from this address in 60 s: try again in 42 s',
  internal_error: 'an unexpected error occurred; it has been logged',
  service_unavailable: 'the database is unavailable; retry shortly',
};

const exampleRequestId = '0f6c1a52-8d7e-4b2a-9c3f-5e1d2a7b9c40';

/** An OpenAPI path with each {param} replaced by its example id. */
const examplePath = (path: string) => path.replace(/\{(\w+)\}/g, (_m, name: string) => exampleId(name));

/** A problem body for an example: the first problem code the description names (`insufficient_credit`), else the status's usual one. */
function problemExample(status: number, description: string, path: string) {
  const named = /`([a-z_]+)`/.exec(description)?.[1];
  const parsed = problemSchema.shape.code.safeParse(named);
  const code: ErrorCode = parsed.success ? parsed.data : (exampleCode[status] ?? 'internal_error');
  const detail = exampleDetail[code] ?? new RegExp(`\`${code}\`: ([^;]*)`).exec(description)?.[1] ?? description;
  const body = problemBody(code, detail, code === 'validation_failed' ? { errors: [{ path: 'body.amount', message: 'must be a whole number of minor units, as digits' }] } : {});
  return { ...body, status, instance: examplePath(path), requestId: exampleRequestId };
}

/** Names of the shared error responses (components/responses), by status. */
const errorResponseNames: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthenticated', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType', 422: 'ValidationFailed', 429: 'RateLimited', 500: 'InternalError', 503: 'ServiceUnavailable',
};
/** Refusals the work itself raises, which a retry under the same Idempotency-Key replays (see keepsRefusal). */
const replayableErrors = new Set([403, 404, 409, 422]);

/** The shared response a derived error status refers to: a variant for idempotent routes and for each per-caller rate limit. */
function errorResponseName(route: AnyRoute, status: number): string {
  const base = errorResponseNames[status]!;
  if (status === 429 && route.rateLimit) return `${base}${route.rateLimit.charAt(0).toUpperCase()}${route.rateLimit.slice(1)}`;
  return route.idempotent && replayableErrors.has(status) ? `${base}Replayable` : base;
}

type HeaderName = 'X-Request-Id' | 'traceparent' | 'Idempotent-Replayed' | 'Retry-After' | 'Content-Disposition' | 'Location';

/** Response headers, declared once as components and referred to by name. */
const headerComponents: Record<HeaderName, { description: string; schema: { type: 'string' | 'integer'; example?: string | number; enum?: string[]; minimum?: number } }> = {
  'X-Request-Id': {
    description: 'The request\'s id: the X-Request-Id the caller sent, when it is 1 to 100 letters, digits, `_`, `.` or `-`; else one made here. Problem bodies repeat it as `requestId`: quote it when reporting a problem.',
    schema: { type: 'string', example: exampleRequestId },
  },
  traceparent: {
    description: 'W3C Trace Context: the trace of the caller\'s valid `traceparent`, or one started here, with this service\'s span as the parent.',
    schema: { type: 'string', example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key, not a new run; absent otherwise.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1, example: 1 },
  },
  'Content-Disposition': {
    description: 'On a file (a payment file, or a report with format=csv): an attachment, with the name to save it under.',
    schema: { type: 'string', example: 'attachment; filename="schemes-2027-03-01T09-30-00-000Z.csv"' },
  },
  Location: {
    description: 'The path of the resource this request created.',
    schema: { type: 'string', example: '/v1/schemes/0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b' },
  },
};
const headerRef = (name: HeaderName) => ({ $ref: `#/components/headers/${name}` });

function responseHeaders(replayable: boolean, status: number, spec: ResponseSpec | undefined) {
  const names: HeaderName[] = ['X-Request-Id', 'traceparent'];
  if (replayable) names.push('Idempotent-Replayed');
  if (status === 429 || status === 503) names.push('Retry-After');
  if (spec?.download) names.push('Content-Disposition');
  for (const name of spec?.headers ?? []) {
    if (!(name in headerComponents)) throw new Error(`response header ${name} is not in headerComponents (src/http/openapi.ts)`);
    names.push(name as HeaderName);
  }
  const headers = Object.fromEntries(names.map((n) => [n, headerRef(n)]));
  return headers;
}

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(routes: AnyRoute[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const [name, header] of Object.entries(headerComponents)) registry.registerComponent('headers', name, header);
  const used = new Map<string, { status: number; replayable: boolean; description: string }>();

  for (const route of routes) {
    const where = `${route.method.toUpperCase()} ${route.path}`;
    for (const tag of route.tags) if (!(tag in apiTags)) throw new Error(`${where}: tag ${tag} is not in apiTags (src/http/openapi.ts)`);
    const responses: Record<string, { $ref: string } | { description: string; headers: ReturnType<typeof responseHeaders>; content?: Record<string, { schema: z.ZodType; example: unknown }> }> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      if (Number(status) >= 400) continue;
      responses[status] = {
        description: spec.description,
        headers: responseHeaders(!!route.idempotent, Number(status), spec),
        ...(spec.schema
          ? {
              content: {
                [spec.contentType ?? 'application/json']: { schema: spec.schema, example: spec.example ?? exampleOf(spec.schema, `${where} ${status}`) },
                ...Object.fromEntries(Object.entries(spec.alternatives ?? {}).map(([type, alt]) => [type, { schema: z.string(), example: alt.example }])),
              },
            }
          : {}),
      };
    }
    for (const status of errorStatusesOf(route)) {
      const declared = route.responses[status];
      if (!declared) {
        const name = errorResponseName(route, status);
        responses[String(status)] = { $ref: `#/components/responses/${name}` };
        used.set(name, { status, replayable: name.endsWith('Replayable'), description: status === 429 && route.rateLimit ? rateLimitDescriptions[route.rateLimit]! : errorDescriptions[status]! });
        continue;
      }
      responses[String(status)] = {
        description: declared.description,
        headers: responseHeaders(!!route.idempotent && replayableErrors.has(status), status, declared),
        content: { 'application/problem+json': { schema: problemSchema, example: declared.example ?? problemExample(status, declared.description, route.path) } },
      };
    }
    const headers = route.idempotent
      ? z.object({
          'Idempotency-Key': z.string().min(1).max(255).meta({
            description: 'Unique per intended operation; a retry with the same key returns the first response',
            example: '7b0e4c1e-2f35-4a8e-9d61-3c5a1f0b8e27',
          }),
        })
      : undefined;
    const bodyContent = route.body
      ? Object.fromEntries(
          (route.bodyContentType ?? 'application/json').split(',').map((t) => {
            const type = t.trim();
            return [type, { schema: route.body!, example: route.bodyExamples?.[type] ?? exampleOf(route.body!, `${where} request body`) }];
          }),
        )
      : undefined;
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      // A public route takes no token at all: an empty security list, and it says so (see PublicRouteSpec).
      security: route.public ? [] : [{ bearerAuth: [] }],
      'x-roles': [...route.roles],
      ...(route.public ? { 'x-public': true } : {}),
      request: {
        ...(route.params ? { params: route.params as z.ZodObject } : {}),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(headers ? { headers } : {}),
        ...(bodyContent ? { body: { required: true, content: bodyContent } } : {}),
      },
      responses,
    });
  }

  for (const [name, { status, replayable, description }] of [...used].sort(([a], [b]) => a.localeCompare(b))) {
    registry.registerComponent('responses', name, {
      description: replayable ? `${description}. A refusal on the request's merits is kept under its Idempotency-Key: a retry gets it again, with Idempotent-Replayed` : description,
      headers: responseHeaders(replayable, status, undefined),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example: problemExample(status, description, status === 429 ? '/v1/eligibility' : '/v1/me/enrolments/{enrolmentId}/consent') } },
    });
  }
  // The shared error responses refer to it by name; registered as a zod schema, it is generated like the others.
  registry.definitions.push({ type: 'schema', schema: problemSchema });

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Learning Credits API',
      version: '1.0.0',
      description: [
        'National learning-credit funding and claims service. Amounts in JSON are integer minor units, as strings, with an ISO 4217 currency beside them (`"30000"` SGD is SGD 300.00); payment files and bank statements use decimals (`300.00`). Errors are RFC 9457 problem+json with a stable `code`. Every request that moves money takes an `Idempotency-Key` header.',
        '',
        '## Getting a token',
        '',
        'Every `/v1` operation takes a bearer JWT (`Authorization: Bearer <token>`) whose `role` claim is `citizen`, `provider`, `finance` or `admin`; each operation lists the roles it accepts under `x-roles`. The exceptions are under `/v1/public/` (tag `public`, `security: []`, `x-public: true`): anyone may call them without a token, counted per client address.',
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
    tags: Object.entries(apiTags).map(([name, description]) => ({ name, description })),
  });
  return document;
}
