import { createServer, type Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './lib/logger.js';
import { startPeriodic } from './lib/periodic.js';
import { runMaintenance } from './maintenance.js';
import type { Policy } from './modules/deps.js';
import { startRuntime } from './runtime.js';
import { seedDemoData } from './seed/demo.js';

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
  const logger = createLogger(config.LOG_LEVEL);
  const runtime = await startRuntime(config, logger);
  // One policy for the API and the background work alike.
  const policy: Partial<Policy> = {
    claimBurstPerHour: config.CLAIM_BURST_PER_HOUR,
    // Unset outside production: the demo accounts of defaultPolicy apply.
    ...(config.TREASURY_ACCOUNTS ? { treasuryAccounts: config.TREASURY_ACCOUNTS } : {}),
    ...(config.FOUR_EYES_ABOVE ? { fourEyesAbove: config.FOUR_EYES_ABOVE } : {}),
  };
  let app;
  try {
    // Never demo people and money in production unless asked for by name.
    const seed = config.SEED_DEMO === 'true' || (config.SEED_DEMO === 'auto' && !config.DATABASE_URL && config.NODE_ENV !== 'production');
    if (seed) await seedDemoData({ ...runtime, logger, dataDir: config.dataDir });
    app = createApp({ ...runtime, logger, bodyLimit: config.BODY_LIMIT, policy });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const maintenance =
    config.SWEEP_INTERVAL_MS > 0
      ? startPeriodic('maintenance', config.SWEEP_INTERVAL_MS, () => runMaintenance({ ...runtime, logger, policy }), logger)
      : undefined;

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
    `Learning Credits listening on http://${config.HOST}:${port} (API docs at /docs)`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    server.closeIdleConnections();
    await maintenance?.stop();
    await runtime.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  const why = err instanceof Error ? err.message || err.name : String(err);
  process.stderr.write(`failed to start: ${why || 'unknown error (no message)'}\n`);
  process.exit(1);
});
