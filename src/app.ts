import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { TrustProxy } from './config.js';
import type { Database } from './db/client.js';
import type { Ledger } from './ledger/ledger.js';
import type { Clock } from './lib/clock.js';
import { serializeRequest, serializeResponse, traceContext, type Logger } from './lib/logger.js';
import type { Metrics } from './lib/metrics.js';
import type { NationalIdProtector } from './lib/national-id.js';
import type { Policy } from './modules/deps.js';
import type { Authenticator } from './http/auth.js';
import { errorHandler, sendProblem } from './http/error-handler.js';
import { mountRoutes } from './http/mount.js';
import { parseQuery } from './http/query.js';
import { buildOpenApiDocument } from './http/openapi.js';
import { problemBody } from './http/problem.js';
import { createRateLimiter } from './http/rate-limits.js';
import { systemRoutes } from './http/system-routes.js';
import { allRoutes } from './modules/index.js';
import { defaultSignInClaimNames, type SignInClaimNames } from './web/auth/claims.js';
import type { SignInClient } from './web/auth/oidc-client.js';
import { createSessionCodec } from './web/auth/session.js';
import { createWebRouter } from './web/router.js';
import type { KeySealer } from './lib/key-sealer.js';

export interface AppDeps {
  database: Database;
  ledger: Ledger;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  authenticator: Authenticator;
  nationalIds: NationalIdProtector;
  keySealer?: KeySealer;
  policy?: Partial<Policy>;
  bodyLimit?: string;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names the client (req.ip, the key of per-address rate limits); default none. */
  trustProxy?: TrustProxy;
  /** The pages' sign-in: the OIDC client (unset: sign-in not configured), claim names, and whether cookies are Secure. */
  web?: { signIn?: SignInClient | undefined; claimNames?: Partial<SignInClaimNames> | undefined; secureCookies?: boolean; signInOrigin?: string | undefined; themeCss?: string | undefined };
}

/** The key that seals the pages' session cookies, derived from the national-id key as the idempotency fingerprints' is. */
export const sessionKeyOf = (nationalIds: NationalIdProtector): Uint8Array => new Uint8Array(nationalIds.hash('web-session', 'cookie-encryption-key'));

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', parseQuery);
  // Answers are private to their caller and change with every movement of
  // money: no shared or browser cache may keep them, and no ETag is worth
  // hashing every response body for.
  app.set('etag', false);

  // A request line holds the request's id, method and path, its status and duration, the trace id, and the
  // logger's base fields (time, level, pid, hostname, version): never headers, query strings or bodies.
  app.use(
    pinoHttp({
      logger: deps.logger,
      serializers: { req: serializeRequest, res: serializeResponse },
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // On req.log and the request line: the W3C trace the request belongs to (its traceparent header, or one started here and returned).
      customProps: (req, res) => ({ traceId: traceContext(req, res).traceId }),
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  app.use((req, res, next) => {
    const end = deps.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use((req, res, next) => {
    if (req.path.startsWith('/v1/')) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // No body parser here: mountRoutes reads each route's body itself, after authentication and within the route's own limit.

  const routes = allRoutes({ ledger: deps.ledger, clock: deps.clock, logger: deps.logger, database: deps.database, nationalIds: deps.nationalIds, ...(deps.keySealer ? { keySealer: deps.keySealer } : {}), ...(deps.policy ? { policy: deps.policy } : {}) });
  const document = buildOpenApiDocument(routes);
  systemRoutes(app, { database: deps.database, metrics: deps.metrics });
  app.get('/openapi.json', (_req, res) => res.json(document));
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Learning Credits API' }));

  // An idempotency key's stored fingerprint covers the body, and a learner's registration body carries a national id:
  // a plain hash of it could be reversed by guessing. The fingerprint is keyed, with a key derived from the national-id key.
  const fingerprintSecret = deps.nationalIds.hash('idempotency', 'request-fingerprint').toString('hex');
  // Counted in the database, so that every replica on it shares the counters.
  const rateLimiter = createRateLimiter(deps.database.pool, deps.policy?.rateLimits);
  mountRoutes(app, routes, { db: deps.database.db, clock: deps.clock, authenticator: deps.authenticator, bodyLimit: deps.bodyLimit ?? '256kb', fingerprintSecret, rateLimiter });

  // The pages (src/web/): the same services and role checks as the API, signed in through OpenID Connect.
  app.use(createWebRouter({
    services: { ledger: deps.ledger, clock: deps.clock, logger: deps.logger, database: deps.database, nationalIds: deps.nationalIds, ...(deps.policy ? { policy: deps.policy } : {}) },
    clock: deps.clock, logger: deps.logger, fingerprintSecret, rateLimiter,
    sessions: createSessionCodec(sessionKeyOf(deps.nationalIds), { secure: deps.web?.secureCookies ?? false }),
    signIn: deps.web?.signIn, signInOrigin: deps.web?.signInOrigin, themeCss: deps.web?.themeCss,
    claimNames: { ...defaultSignInClaimNames, ...deps.web?.claimNames },
  }));

  app.use((req, res) => {
    sendProblem(req, res, problemBody('not_found', `no route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.logger));
  return app;
}

