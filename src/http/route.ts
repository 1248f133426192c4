import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Db, Tx } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { Principal, Role } from '../lib/principal.js';
import { problemSchema } from './problem.js';
import type { CallerRateLimit } from './rate-limits.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext {
  principal: Principal;
  requestId: string;
  log: Logger;
  /** The request's database handle: a transaction when the route is idempotent. */
  db: Db | Tx;
  req: Request;
  res: Response;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A handler that wrote the response itself (streams, files). */
export const STREAMED = Symbol('streamed');

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** OpenAPI form: /v1/schemes/{schemeId}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Who may call it. Every route must say; there is no default. */
  roles: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  /** Content type of the body when it is not JSON (text/csv, application/xml). */
  bodyContentType?: string;
  /**
   * The largest body the route reads ("64mb"), when it takes more than
   * ordinary JSON: the default is BODY_LIMIT. The body is read only after the
   * caller is authenticated and authorised; a larger one is a 413 naming it.
   */
  bodyLimit?: string;
  /** Moves money or creates state: requires an Idempotency-Key header. */
  idempotent?: boolean;
  /**
   * The limit (Policy.rateLimits) each caller's calls count against, after
   * authentication and before the body is read; over it, 429 rate_limited
   * with Retry-After. Declared in the OpenAPI responses by defineRoute.
   */
  rateLimit?: CallerRateLimit;
  responses: Record<number, ResponseSpec>;
  handler: (
    input: { params: Infer<P>; query: Infer<Q>; body: Infer<B> },
    ctx: RouteContext,
  ) => Promise<Reply | typeof STREAMED>;
}

export type AnyRoute = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): AnyRoute {
  if (!spec.rateLimit || spec.responses[429]) return spec as unknown as AnyRoute;
  const limited: ResponseSpec = {
    description: 'Too many calls by this caller within the window; Retry-After gives the seconds until the next window',
    schema: problemSchema,
    contentType: 'application/problem+json',
  };
  return { ...spec, responses: { ...spec.responses, 429: limited } } as unknown as AnyRoute;
}

/** /v1/schemes/{schemeId} -> /v1/schemes/:schemeId */
export const expressPath = (openapiPath: string): string => openapiPath.replace(/\{(\w+)\}/g, ':$1');

/** Responses that every authenticated route may give, for the OpenAPI document. */
export const commonErrorStatuses = [400, 401, 403, 404, 413, 415, 422, 500, 503] as const;
