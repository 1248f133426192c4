import type { Server } from 'node:http';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './lib/logger.js';
import { startPeriodic } from './lib/periodic.js';
import { runMaintenance } from './maintenance.js';
import type { Policy } from './modules/deps.js';
import { startRuntime } from './runtime.js';
import { seedDemoData } from './seed/demo.js';

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
    const seed = config.SEED_DEMO === 'true' || (config.SEED_DEMO === 'auto' && !config.DATABASE_URL);
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

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
  });
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
  process.stderr.write(`failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
