import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Db, Tx } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import type { Principal, Role } from '../lib/principal.js';
import type { AddressRateLimit, CallerRateLimit } from '../lib/rate-limit-policy.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext extends PublicRouteContext {
  principal: Principal;
}

/** What a public route's handler gets: no principal, since nobody signed in. */
export interface PublicRouteContext {
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
  /** For an error status, the problem codes it answers with and when. */
  description: string;
  /** An error status without one is a problem+json. */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
  /** An example body, when the one derived from the schema (see openapi-examples.ts) is not the one to show. */
  example?: unknown;
  /** The same answer in other forms (?format=csv): content type -> an example of the text. */
  alternatives?: Record<string, { example: string }>;
  /** A file to save: the response carries Content-Disposition: attachment with its filename. */
  download?: boolean;
  /** Response headers the handler sets beyond those every response carries: names from the document's header components (Location). */
  headers?: readonly string[];
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

interface RouteBase<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** OpenAPI form: /v1/schemes/{schemeId}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  /** Content type of the body when it is not JSON (text/csv, application/xml). */
  bodyContentType?: string;
  /** Examples of the body by content type, when the one derived from the body schema will not do (text bodies). */
  bodyExamples?: Record<string, unknown>;
  /**
   * The largest body the route reads ("64mb"), when it takes more than
   * ordinary JSON: the default is BODY_LIMIT. The body is read only after the
   * caller is authenticated and authorised; a larger one is a 413 naming it.
   */
  bodyLimit?: string;
  /**
   * Success responses, and the error statuses the route can answer beyond
   * those errorStatusesOf derives (a 409 naming insufficient_credit), or a
   * derived one described with the route's own problem codes.
   */
  responses: Record<number, ResponseSpec>;
}

type Input<P, Q, B> = { params: Infer<P>; query: Infer<Q>; body: Infer<B> };

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> extends RouteBase<P, Q, B> {
  public?: false;
  /** Who may call it. Every route must say; there is no default. */
  roles: readonly Role[];
  /** Moves money or creates state: requires an Idempotency-Key header. */
  idempotent?: boolean;
  /**
   * The top-level field of the success body that holds a secret shown once
   * (a webhook signing secret): the stored response replays it as null.
   */
  issuesSecret?: string;
  /**
   * The limit (Policy.rateLimits) each caller's calls count against, after
   * authentication and before the body is read; over it, 429 rate_limited
   * with Retry-After. Declared in the OpenAPI responses by defineRoute.
   */
  rateLimit?: CallerRateLimit;
  handler: (input: Input<P, Q, B>, ctx: RouteContext) => Promise<Reply | typeof STREAMED>;
}

/**
 * A route anyone may call without signing in (an employer verifying a
 * credential): mountRoutes neither authenticates nor checks a role, and the
 * handler gets no principal. It says so twice, `public: true` and no roles,
 * so that neither is ever assumed; every such route is rate-limited per
 * client address, and none takes an Idempotency-Key (it has no caller to
 * scope one to).
 */
export interface PublicRouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> extends RouteBase<P, Q, B> {
  public: true;
  /** None: the role list of a public route is empty, never a list someone forgot. */
  roles: readonly Role[] & { readonly length: 0 };
  idempotent?: false;
  /** Counted per client address (req.ip, as TRUST_PROXY says), before the body is read. */
  rateLimit: AddressRateLimit;
  handler: (input: Input<P, Q, B>, ctx: PublicRouteContext) => Promise<Reply | typeof STREAMED>;
}

type AnyZod = z.ZodType | undefined;
export type AnyRoute = RouteSpec<AnyZod, AnyZod, AnyZod> | PublicRouteSpec<AnyZod, AnyZod, AnyZod>;

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

export function definePublicRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: PublicRouteSpec<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** /v1/schemes/{schemeId} -> /v1/schemes/:schemeId */
export const expressPath = (openapiPath: string): string => openapiPath.replace(/\{(\w+)\}/g, ':$1');

/**
 * The error statuses a route can answer, from what it takes (see mountRoutes
 * for the order of the checks): every route authenticates (401, and 429 past
 * the failed-authentication limit) and checks the role (403), except a
 * public route, which does neither (its 429 is its own limit); input can be
 * malformed (400) or invalid (422); an Idempotency-Key can be missing (400),
 * invalid or reused (422) or in use (409); only a body can be too large (413)
 * or of the wrong type (415); a path names something that may not exist
 * (404). Any route can fail unexpectedly (500) or lose its database (503).
 * Statuses the route declares in `responses` are added.
 */
export function errorStatusesOf(route: AnyRoute): number[] {
  const input = !!(route.params || route.query || route.body || route.idempotent);
  const statuses = new Set<number>(route.public ? [429, 500, 503] : [401, 403, 429, 500, 503]);
  if (input) statuses.add(400).add(422);
  if (route.idempotent) statuses.add(409);
  if (route.body) statuses.add(413).add(415);
  if (route.params) statuses.add(404);
  for (const status of Object.keys(route.responses).map(Number)) if (status >= 400) statuses.add(status);
  return [...statuses].sort((a, b) => a - b);
}
