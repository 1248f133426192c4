import { createServer, type Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createTaskLeases } from './db/task-leases.js';
import { rateLimitsFromConfig } from './lib/rate-limit-policy.js';
import { createLogger, type Logger } from './lib/logger.js';
import { startPeriodic } from './lib/periodic.js';
import { startWorker, type Worker } from './jobs/worker.js';
import { noticeChannelsFromConfig } from './modules/notices/channels-from-config.js';
import { runMaintenance } from './maintenance.js';
import type { Policy } from './modules/deps.js';
import { startRuntime } from './runtime.js';
import { seedDemoData } from './seed/demo.js';
import { demoSignInUsers } from './seed/demo-sign-in.js';
import { startLocalIdentityProvider, type LocalIdentityProvider } from './web/auth/local-idp.js';
import { createSignInClient, deferredSignInClient } from './web/auth/oidc-client.js';

/** Why the service could not listen, in words that name the port and what to do. */
function listenProblem(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is already in use by another process: stop it, or start with another PORT (e.g. PORT=${port === 65535 ? port - 1 : port + 1})`;
    case 'EACCES':
      return `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges): choose another PORT`;
    case 'EADDRNOTAVAIL':
      return `HOST ${host} is not an address of this machine: set HOST to one of its addresses (127.0.0.1 or 0.0.0.0) to listen on port ${port}`;
    default:
      return `cannot listen on ${host}:${port}: ${err.message || err.code || 'unknown error'}`;
  }
}

/** True when a log call's object says the database server is stopping: 57P01 admin_shutdown or 57P03 cannot_connect_now, as `code` or at the start of `error`. */
function saysDatabaseStops(arg: unknown): boolean {
  if (arg === null || typeof arg !== 'object') return false;
  const { code, error } = arg as { code?: unknown; error?: unknown };
  return [code, error].some((v) => typeof v === 'string' && /^57P0[13]\b/.test(v));
}

/**
 * The logger of the background work: a failure that says the database server
 * is stopping is logged at info, marked `databaseStopping` (as
 * src/db/client.ts logs it for the pool; it still counts in /metrics and
 * /readyz). Ctrl-C reaches the embedded PostgreSQL as well as this process,
 * and a sweep running at that instant can fail before the SIGINT handler has
 * run. The methods use `this`, so children keep their own bindings.
 */
function quietWhenDatabaseStops(logger: Logger): Logger {
  const log = logger.child({});
  for (const level of ['warn', 'error'] as const) {
    const loud = log[level] as (this: Logger, ...args: unknown[]) => void;
    log[level] = function (this: Logger, ...args: unknown[]) {
      if (!saysDatabaseStops(args[0])) return loud.apply(this, args);
      return (this.info as (...a: unknown[]) => void)({ ...(args[0] as object), databaseStopping: true }, ...args.slice(1));
    } as Logger['warn'];
  }
  return log;
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // Ctrl-C reaches the embedded PostgreSQL too (one process group): once the shutdown has begun, what fails
  // because the database is stopping (a sweep, a pool client, a request in flight) is logged at info, not as a warning.
  let closing = false;
  const logger = createLogger(config.LOG_LEVEL, undefined, { format: config.LOG_FORMAT, stopping: () => closing });
  const runtime = await startRuntime(config, logger);
  // One policy for the API and the background work alike.
  const policy: Partial<Policy> = {
    claimBurstPerHour: config.CLAIM_BURST_PER_HOUR,
    retentionDaysAfterLastActivity: config.RETENTION_DAYS_AFTER_LAST_ACTIVITY,
    rateLimits: rateLimitsFromConfig(config),
    // Unset outside production: the demo accounts of defaultPolicy apply.
    ...(config.TREASURY_ACCOUNTS ? { treasuryAccounts: config.TREASURY_ACCOUNTS } : {}),
    ...(config.FOUR_EYES_ABOVE ? { fourEyesAbove: config.FOUR_EYES_ABOVE } : {}),
    ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
    ...(config.EQUITY_REPORT_PERIOD ? { equityReportPeriod: config.EQUITY_REPORT_PERIOD } : {}),
    webhooksAllowLocal: config.WEBHOOKS_ALLOW_LOCAL,
  };
  // Sign-in for the pages: the configured issuer, or on the embedded default a demo identity provider on 127.0.0.1.
  const localIdp = !config.OIDC_ISSUER && config.NODE_ENV !== 'production';
  const signIn = config.OIDC_ISSUER || localIdp ? deferredSignInClient() : undefined;
  let idp: LocalIdentityProvider | undefined;
  let app;
  try {
    // Never demo people and money in production unless asked for by name.
    const seed = config.SEED_DEMO === 'true' || (config.SEED_DEMO === 'auto' && !config.DATABASE_URL && config.NODE_ENV !== 'production');
    if (seed) await seedDemoData({ ...runtime, logger, dataDir: config.dataDir });
    app = createApp({
      ...runtime, logger, bodyLimit: config.BODY_LIMIT, policy, trustProxy: config.TRUST_PROXY,
      web: { signIn, claimNames: config.OIDC_CLAIMS, themeCss: config.WEB_THEME_CSS?.css, secureCookies: config.NODE_ENV === 'production' || (config.PUBLIC_URL ?? '').startsWith('https://') },
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const backgroundLogger = quietWhenDatabaseStops(logger);
  // Replicas on one database share the tasks: each runs once per interval, in one process at a time.
  const leases = createTaskLeases(runtime.database.pool, { intervalMs: config.SWEEP_INTERVAL_MS });
  const maintenance =
    config.SWEEP_INTERVAL_MS > 0
      ? startPeriodic('maintenance', config.SWEEP_INTERVAL_MS, () => runMaintenance({ ...runtime, logger: backgroundLogger, policy }, { leases }), backgroundLogger)
      : undefined;
  // The background worker (outbox relay, webhook deliveries) beside the maintenance loop, unless another process runs it.
  let worker: Worker | undefined;
  try {
    if (config.WORKER_ENABLED) {
      worker = await startWorker({ ...runtime, logger: backgroundLogger, policy, noticeChannels: noticeChannelsFromConfig(config, backgroundLogger) }, { relayIntervalMs: config.WORKER_RELAY_INTERVAL_MS, metrics: runtime.metrics });
    }
  } catch (err) {
    await maintenance?.stop();
    await runtime.close();
    throw err;
  }

  // Express 5's app.listen hands a listen error to its callback; a taken port must stop the start, not be logged as listening.
  const server: Server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await maintenance?.stop();
    await worker?.stop();
    await runtime.close();
    throw new Error(listenProblem(err as NodeJS.ErrnoException, config.HOST, config.PORT));
  }
  // Requests Node rejects before Express sees them (headers too large, malformed) still get problem+json.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      type: `https://learning-credits.example/problems/${status === 431 ? 'request_header_fields_too_large' : 'bad_request'}`,
      title: status === 431 ? 'Request headers too large' : 'Bad request', status, code: 'bad_request',
      detail: status === 431 ? 'the URL or headers are larger than this service accepts' : 'the request could not be parsed',
    });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { url: `http://${config.HOST}:${port}`, docs: `http://${config.HOST}:${port}/docs`, database: runtime.databaseUrl },
    `Learning Credits listening on http://${config.HOST}:${port} (the portal at /, API docs at /docs)`,
  );

  const shutdown = async (signal: string, exitCode = 0) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    await idp?.close();
    await maintenance?.stop();
    await worker?.stop();
    await runtime.close();
    logger.info('stopped');
    // The last lines may still be on their way to a pipe: exit once they are out.
    logger.flush(() => process.exit(exitCode));
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  // Sign-in is set up once the service listens (its redirect URI needs the port) and Ctrl-C is handled.
  const publicUrl = config.PUBLIC_URL ?? `http://${config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST}:${port}`;
  const redirectUri = `${publicUrl}/sign-in/callback`;
  try {
    if (config.OIDC_ISSUER) {
      signIn?.set(createSignInClient({ issuer: config.OIDC_ISSUER, clientId: config.OIDC_CLIENT_ID, clientSecret: config.OIDC_CLIENT_SECRET, redirectUri }));
    } else if (localIdp) {
      const users = await demoSignInUsers(runtime.database.db, runtime.clock.now());
      const startIdp = (at: number) => startLocalIdentityProvider({ port: at, redirectUri, logger, users });
      try {
        idp = await startIdp(config.OIDC_LOCAL_PORT ?? (config.PORT === 0 ? 0 : port + 1));
      } catch (err) {
        // PORT + 1 is only a default: when it is taken, any free port will do (the log names it).
        if (config.OIDC_LOCAL_PORT !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        idp = await startIdp(0);
      }
      signIn?.set(createSignInClient({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, redirectUri }));
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    logger.error({ code: e.code }, e.code === 'EADDRINUSE' ? "the demo identity provider's port is in use: set OIDC_LOCAL_PORT to a free port" : `sign-in could not be set up: ${e.message}`);
    await shutdown('sign-in setup failed', 1);
  }
}

main().catch((err: unknown) => {
  const why = err instanceof Error ? err.message || err.name : String(err);
  process.stderr.write(`failed to start: ${why || 'unknown error (no message)'}\n`);
  process.exit(1);
});
