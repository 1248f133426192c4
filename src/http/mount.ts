import express, { type Express, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import type { Clock } from '../lib/clock.js';
import type { Authenticator } from './auth.js';
import { sendProblem, toProblem, zodFieldErrors } from './error-handler.js';
import { keepsRefusal, rememberRefusal, requestFingerprint, validIdempotencyKey, withIdempotency } from './idempotency.js';
import { requireUtf8, stringifyJson } from './json.js';
import { AppError, type FieldError } from './problem.js';
import { expressPath, STREAMED, type AnyRoute, type Reply, type RouteContext } from './route.js';

export interface MountDeps {
  db: Db;
  clock: Clock;
  authenticator: Authenticator;
  bodyLimit: string;
  /** Keys the request fingerprints kept with Idempotency-Keys (see requestFingerprint); a plain SHA-256 without it. */
  fingerprintSecret?: string | undefined;
}

function parseInput(route: AnyRoute, req: Request) {
  const errors: FieldError[] = [];
  const part = (schema: z.ZodType | undefined, value: unknown, where: string) => {
    if (!schema) return undefined;
    const r = schema.safeParse(value ?? {});
    if (!r.success) errors.push(...zodFieldErrors(r.error, where));
    return r.success ? r.data : undefined;
  };
  const params = part(route.params, req.params, 'path');
  const query = part(route.query, req.query, 'query');
  const body = route.body ? part(route.body, req.body, 'body') : undefined;
  if (errors.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors });
  return { params, query, body };
}

function checkContentType(route: AnyRoute, req: Request): void {
  if (!route.body) return;
  const expected = route.bodyContentType ?? 'application/json';
  const accepted = expected === 'application/json' ? ['application/json', 'application/*+json'] : expected.split(',');
  if (!req.is(accepted)) {
    throw new AppError('unsupported_media_type', `send the body as ${expected}`);
  }
}

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
 * Mounts declared routes. Order of checks: who you are (401), whether your
 * role may call this (403), the body's type (415), then the input (422).
 */
export function mountRoutes(app: Express, routes: AnyRoute[], deps: MountDeps): void {
  // A UTF-8 body must be valid UTF-8: the decoder would otherwise swap bad bytes for U+FFFD and import them.
  const textBody = express.text({
    type: ['text/*', 'application/xml'],
    limit: '64mb',
    verify: requireUtf8,
  });
  for (const route of routes) {
    const handlers = [
      ...(route.bodyContentType && route.bodyContentType !== 'application/json' ? [textBody] : []),
      async (req: Request, res: Response) => {
        try {
          const principal = await deps.authenticator.authenticate(req.get('authorization'));
          if (!route.roles.includes(principal.role)) {
            throw new AppError('forbidden', `the ${principal.role} role may not call ${route.operationId}`);
          }
          checkContentType(route, req);
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
              return { status: s.status, body: s.body ?? '', headers: s.headers ?? {} };
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
          sendProblem(req, res, toProblem(err, req.log));
        }
      },
    ];
    app[route.method](expressPath(route.path), ...handlers);
  }
}
