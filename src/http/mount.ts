import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import { serializeError } from '../lib/logger.js';
import type { Authenticator } from './auth.js';
import type { Principal } from '../lib/principal.js';
import { sendProblem, toProblem, zodFieldErrors } from './error-handler.js';
import { keepsRefusal, rememberRefusal, requestFingerprint, validIdempotencyKey, withIdempotency, withoutSecret } from './idempotency.js';
import { JsonNumberText } from '../lib/json-number-text.js';
import { checkTextBody, parseJsonBody, requireUtf8, stringifyJson, textProblems } from './json.js';
import { AppError, type FieldError } from '../lib/app-error.js';
import { RateLimited, type RateLimiter } from './rate-limits.js';
import { expressPath, STREAMED, type AnyRoute, type Reply, type RouteContext } from './route.js';

export interface MountDeps {
  db: Db;
  clock: Clock;
  authenticator: Authenticator;
  /** The body limit of a route that declares none (BODY_LIMIT): what ordinary JSON needs. */
  bodyLimit: string;
  /** Keys the request fingerprints kept with Idempotency-Keys (see requestFingerprint); a plain SHA-256 without it. */
  fingerprintSecret?: string | undefined;
  /** Counts the calls of routes that declare a rateLimit, and failed authentications; without it nothing is limited. */
  rateLimiter?: RateLimiter | undefined;
}

/** The value at `path` inside `value`, for messages about what was sent. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * A plain number field given a number written with a fraction or exponent
 * (see JsonNumberText) would otherwise be told "expected number, received
 * JsonNumberText". The money schema words its own refusal.
 */
function fieldErrors(error: z.ZodError, input: unknown, where: string): FieldError[] {
  const issues = error.issues.map((issue) => {
    const given = valueAt(input, issue.path);
    if (issue.code !== 'invalid_type' || issue.expected !== 'number' || !(given instanceof JsonNumberText)) return issue;
    return { ...issue, message: `must be a whole number written without a fraction or an exponent, up to 2^53 - 1 (not ${given.source.slice(0, 40)})` };
  });
  return zodFieldErrors(new z.ZodError(issues), where);
}

function parseInput(route: AnyRoute, req: Request) {
  // NUL and lone surrogates in the path or the query string, whichever parameter: as in JSON bodies (parseJsonBody).
  const textErrors = [...textProblems('path', req.params), ...textProblems('query', req.query as Record<string, unknown>)];
  if (textErrors.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors: textErrors });
  const errors: FieldError[] = [];
  const part = (schema: z.ZodType | undefined, value: unknown, where: string) => {
    if (!schema) return undefined;
    const r = schema.safeParse(value ?? {});
    if (!r.success) errors.push(...fieldErrors(r.error, value, where));
    return r.success ? r.data : undefined;
  };
  const params = part(route.params, req.params, 'path');
  const query = part(route.query, req.query, 'query');
  const body = route.body ? part(route.body, req.body, 'body') : undefined;
  if (errors.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors });
  return { params, query, body };
}

const isJsonRoute = (route: AnyRoute) => (route.bodyContentType ?? 'application/json') === 'application/json';

/** The charset parameter of the Content-Type, lower case, or undefined. */
function charsetOf(req: Request): string | undefined {
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(req.get('content-type') ?? '');
  return m ? (m[1] ?? m[2] ?? '').toLowerCase() : undefined;
}

function checkContentType(route: AnyRoute, req: Request): void {
  if (!route.body) return;
  const expected = route.bodyContentType ?? 'application/json';
  const accepted = expected === 'application/json' ? ['application/json', 'application/*+json'] : expected.split(',');
  if (!req.is(accepted)) {
    throw new AppError('unsupported_media_type', `send the body as ${expected}`);
  }
  // RFC 8259 section 8.1: JSON exchanged between systems is UTF-8. Refused from the header, before a byte is read.
  const charset = charsetOf(req);
  if (isJsonRoute(route) && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('unsupported_media_type', `send JSON as UTF-8 (charset=utf-8, or no charset); charset=${charset.slice(0, 40)} is not accepted`);
  }
}

/** "256kb" -> 262144, as body-parser (the bytes package) reads it. */
function limitBytes(limit: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(limit.trim());
  if (!m) throw new Error(`not a body limit: ${limit}`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb' | 'gb'];
  return Math.floor(Number(m[1]) * unit);
}

const tooLarge = (route: AnyRoute, limit: string) =>
  new AppError('payload_too_large', `the body is larger than the ${limit} that ${route.operationId} accepts`, { limit });

/**
 * Reads and parses the body, only once the caller may call the route (see
 * mountRoutes): the limit is the route's own (RouteSpec.bodyLimit) or the
 * default. A Content-Length over it is refused before a byte is read. JSON
 * goes through parseJsonBody (depth, NUL, surrogates, number forms); text
 * (CSV, XML) is refused when it holds a NUL. Sets req.body as body-parser did.
 */
async function readBody(route: AnyRoute, req: Request, res: Response, limit: string, parser: RequestHandler): Promise<void> {
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes(limit)) throw tooLarge(route, limit);
  await new Promise<void>((resolve, reject) => {
    parser(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  }).catch((err: unknown) => {
    if ((err as { type?: string }).type === 'entity.too.large') throw tooLarge(route, limit);
    throw err;
  });
  if (typeof req.body !== 'string') return;
  if (route.body && !isJsonRoute(route)) checkTextBody(req.body);
  else req.body = parseJsonBody(req.body);
}

/** Whether a request that declared a JSON body is to have it read: a route without a body schema still refuses broken JSON, as before. */
const readsBody = (route: AnyRoute, req: Request) => !!route.body || !!req.is(['application/json', 'application/*+json']);

function sendReply(res: Response, reply: { status: number; body?: string | undefined; headers?: Record<string, string> | undefined }) {
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.body === undefined) {
    res.status(reply.status).end();
    return;
  }
  if (!res.getHeader('content-type')) res.type('application/json');
  res.status(reply.status).send(reply.body);
}

const serialize = (reply: Reply) => ({
  status: reply.status,
  body: reply.body === undefined ? undefined : typeof reply.body === 'string' ? reply.body : stringifyJson(reply.body),
  headers: reply.headers,
});

/**
 * Who the caller is. A failed authentication counts against the client
 * address (the socket's: trust proxy is off); past the limit it is answered
 * 429 instead of 401. Only failures count, and only failures are refused: a
 * valid token from the same address (a proxy, a NAT) still gets through.
 */
/** The client's address, as Express's trust proxy setting (TRUST_PROXY) reads it. */
const clientAddress = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

async function authenticate(req: Request, deps: MountDeps): Promise<Principal> {
  try {
    return await deps.authenticator.authenticate(req.get('authorization'));
  } catch (err) {
    if (deps.rateLimiter && err instanceof AppError && err.code === 'unauthenticated') {
      try {
        await deps.rateLimiter.failedAuthentication(clientAddress(req));
      } catch (limited) {
        if (limited instanceof RateLimited) throw limited;
        // The counter's store failed: the caller still hears why it is not authenticated.
        req.log.warn({ err: serializeError(limited) }, 'failed authentication not counted: the rate-limit store failed');
      }
    }
    throw err;
  }
}

/**
 * Mounts declared routes. A public route (PublicRouteSpec) skips the first
 * two checks and counts against its per-address limit instead (429); the
 * rest is the same. Order of checks: who you are (401; 429 past the
 * failed-authentication limit), whether your role may call this (403), the
 * route's rate limit per caller (429), the body's type and charset (415), only then the
 * body is read (413 over the route's limit, 400 when it is not JSON), then the
 * input (422). Nothing of the body is read for a caller who may not call the
 * route: a refusal before it is sent at once, and the connection is closed
 * rather than made to swallow the rest of an upload nobody will read.
 */
export function mountRoutes(app: Express, routes: AnyRoute[], deps: MountDeps): void {
  for (const route of routes) {
    const limit = route.bodyLimit ?? deps.bodyLimit;
    limitBytes(limit);
    // Decoded with the declared charset (UTF-8 by default; JSON routes accept no other), checked to be valid UTF-8 when it is.
    const parser = express.text({ type: () => true, limit, defaultCharset: 'utf-8', verify: requireUtf8 });
    const handlers = [
      async (req: Request, res: Response) => {
        try {
          if (route.public) {
            // Nobody signs in: no token is read, no role is checked, and the handler gets no principal.
            await deps.rateLimiter?.consumeByAddress(route.rateLimit, clientAddress(req));
            checkContentType(route, req);
            if (readsBody(route, req)) await readBody(route, req, res, limit, parser);
            const reply = await route.handler(parseInput(route, req), { requestId: String(req.id), log: req.log, db: deps.db, req, res });
            if (reply !== STREAMED) sendReply(res, serialize(reply));
            return;
          }
          const principal = await authenticate(req, deps);
          if (!route.roles.includes(principal.role)) {
            throw new AppError('forbidden', `the ${principal.role} role may not call ${route.operationId}`);
          }
          if (route.rateLimit) await deps.rateLimiter?.consume(route.rateLimit, principal);
          checkContentType(route, req);
          if (readsBody(route, req)) await readBody(route, req, res, limit, parser);
          const input = parseInput(route, req);
          const base = { principal, requestId: String(req.id), log: req.log, req, res };

          if (!route.idempotent) {
            const reply = await route.handler(input, { ...base, db: deps.db });
            if (reply !== STREAMED) sendReply(res, serialize(reply));
            return;
          }

          const key = req.get('idempotency-key');
          if (!key) throw new AppError('idempotency_key_required', 'this request changes state: send an Idempotency-Key header');
          if (!validIdempotencyKey(key)) {
            throw new AppError('validation_failed', 'the request is not valid', {
              errors: [{ path: 'header.Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
            });
          }
          const owner = principal.role === 'citizen' ? principal.learnerId : principal.role === 'provider' ? principal.providerId : principal.subject;
          const id = {
            scope: `${principal.role}:${owner}`,
            key,
            fingerprint: requestFingerprint(req.method, req.path, req.body, deps.fingerprintSecret),
          };
          try {
            const stored = await withIdempotency(deps.db, deps.clock, id, async (tx) => {
              const ctx: RouteContext = { ...base, db: tx };
              const reply = await route.handler(input, ctx);
              if (reply === STREAMED) throw new Error(`${route.operationId}: idempotent routes cannot stream`);
              const s = serialize(reply);
              const body = s.body ?? '';
              return { status: s.status, body, headers: s.headers ?? {}, ...(route.issuesSecret && body ? { storedBody: withoutSecret(body, route.issuesSecret) } : {}) };
            });
            if (stored.replayed) res.setHeader('Idempotent-Replayed', 'true');
            sendReply(res, stored);
          } catch (err) {
            // The work rolled back. A refusal on the request's merits is kept under the key and replayed;
            // a refusal of its form (validation_failed and the like) is not, so the corrected retry runs.
            const problem = toProblem(err, req.log);
            if (keepsRefusal(problem)) {
              const body = stringifyJson({ ...problem, instance: req.originalUrl, requestId: String(req.id) });
              await rememberRefusal(deps.db, deps.clock, id, { status: problem.status, body });
              res.status(problem.status).type('application/problem+json').send(body);
              return;
            }
            throw err;
          }
        } catch (err) {
          if (!req.complete) res.setHeader('Connection', 'close');
          if (err instanceof RateLimited) res.setHeader('Retry-After', String(err.retryAfterSeconds));
          sendProblem(req, res, toProblem(err, req.log));
        }
      },
    ];
    app[route.method](expressPath(route.path), ...handlers);
  }
}
