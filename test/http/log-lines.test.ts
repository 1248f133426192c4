import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { createLogger, parseTraceparent, serviceVersion, stdoutDestination } from '../../src/lib/logger.js';
import { useHarness } from '../support/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { createKeyedApp, type KeyedApp } from './keyed-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const packageVersion = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** Every line the app logs, as written and parsed. */
/** Every line the app logs, raw and parsed. */
const { sink, raw, lines, reset } = captureLogs();

const h = useHarness();
let keyed: KeyedApp;

beforeAll(async () => {
  keyed = await createKeyedApp(h, { logger: createLogger('info', sink) });
});
beforeEach(reset);

const reqIdOf = (line: Record<string, unknown>) => (line.req as { id?: unknown } | undefined)?.id;

/** The request-completed line of this request id, as written and parsed, once it is out. */
async function requestLine(requestId: string): Promise<{ text: string; line: Record<string, unknown> }> {
  const index = () => lines.findIndex((l) => reqIdOf(l) === requestId && 'res' in l);
  await vi.waitFor(() => expect(index()).toBeGreaterThanOrEqual(0), { timeout: 2000 });
  return { text: raw[index()]!, line: lines[index()]! };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('request log lines', () => {
  it('when a request is answered, then its line holds the request id, method, path, status, duration, trace id and version, and no header', async () => {
    const token = await keyed.sign({ role: 'admin', sub: 'admin-1' });
    const res = await request(keyed.app).get('/v1/courses?q=anything').set('Authorization', `Bearer ${token}`).set('User-Agent', 'log-lines-test/1.0');
    expect(res.status).toBe(200);
    // The response has plenty of headers (helmet's among them); none of them reaches the line.
    expect(Object.keys(res.headers).length).toBeGreaterThan(10);
    const requestId = res.headers['x-request-id'] as string;
    const { text, line } = await requestLine(requestId);

    expect(Object.keys(line).sort()).toEqual(['hostname', 'level', 'msg', 'pid', 'req', 'res', 'responseTime', 'time', 'traceId', 'version']);
    expect(line).toMatchObject({ level: 'info', msg: 'request completed', version: packageVersion, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(line.req).toEqual({ id: requestId, method: 'GET', url: '/v1/courses' });
    expect(line.res).toEqual({ statusCode: 200 });
    expect(line.responseTime).toEqual(expect.any(Number));
    for (const header of ['headers', 'content-type', 'x-content-type-options', 'nosniff', 'cache-control', 'no-store', 'user-agent', 'log-lines-test', 'authorization']) {
      expect(text.toLowerCase(), header).not.toContain(header);
    }
    expect(Buffer.byteLength(text)).toBeLessThan(360);
  });

  it('when a request fails with 401, then its line is as small and carries the status', async () => {
    const res = await request(keyed.app).get('/v1/schemes');
    expect(res.status).toBe(401);
    const { text, line } = await requestLine(res.headers['x-request-id'] as string);
    expect(line.res).toEqual({ statusCode: 401 });
    expect(text).not.toContain('headers');
    expect(Buffer.byteLength(text)).toBeLessThan(360);
  });

  it('when the request carries a valid traceparent, then its lines carry that trace id and the response continues the trace with a span of its own', async () => {
    const given = `00-${TRACE_ID}-${PARENT_ID}-01`;
    const res = await request(keyed.app).get('/v1/nowhere').set('traceparent', given);
    expect(res.status).toBe(404);
    const returned = res.headers.traceparent as string;
    expect(returned).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(returned).not.toBe(given);
    const { line } = await requestLine(res.headers['x-request-id'] as string);
    expect(line.traceId).toBe(TRACE_ID);
  });

  it('when a later traceparent version carries more fields, then the trace id is still taken and version 00 is returned', async () => {
    const res = await request(keyed.app).get('/v1/nowhere').set('traceparent', `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-bring`);
    expect(res.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect((await requestLine(res.headers['x-request-id'] as string)).line.traceId).toBe(TRACE_ID);
  });

  it.each([
    ['absent', undefined],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['version 00 with a field too many', `00-${TRACE_ID}-${PARENT_ID}-01-extra`],
    ['two headers joined', `00-${TRACE_ID}-${PARENT_ID}-01, 00-${TRACE_ID}-${PARENT_ID}-00`],
    ['not a traceparent', 'hello'],
  ])('when traceparent is %s, then a trace is started here, returned in traceparent and logged', async (_label, header) => {
    const call = request(keyed.app).get('/v1/nowhere');
    const res = header === undefined ? await call : await call.set('traceparent', header);
    const returned = res.headers.traceparent as string;
    expect(returned).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const traceId = returned.split('-')[1]!;
    expect(traceId).not.toBe(TRACE_ID);
    expect(parseTraceparent(returned), 'the returned header is valid').toBeDefined();
    expect((await requestLine(res.headers['x-request-id'] as string)).line.traceId).toBe(traceId);
  });

  it('when two requests come without traceparent, then each starts a trace of its own', async () => {
    const [a, b] = await Promise.all([request(keyed.app).get('/v1/nowhere'), request(keyed.app).get('/v1/nowhere')]);
    expect(a.headers.traceparent).not.toBe(b.headers.traceparent);
  });

  it('when the client sends X-Request-Id and traceparent, then both are kept: the request id as before, the trace beside it', async () => {
    const requestId = `req-${randomUUID()}`;
    const res = await request(keyed.app).get('/v1/nowhere').set('X-Request-Id', requestId).set('traceparent', `00-${TRACE_ID}-${PARENT_ID}-00`);
    expect(res.headers['x-request-id']).toBe(requestId);
    expect(res.body.requestId).toBe(requestId);
    const { line } = await requestLine(requestId);
    expect(line).toMatchObject({ req: { id: requestId }, traceId: TRACE_ID });
  });

  it('when a request is logged, then every line of that request carries the same trace id and the version', async () => {
    const token = await keyed.sign({ role: 'finance', sub: 'finance-1' });
    const res = await request(keyed.app).get('/v1/audit/verification').set('Authorization', `Bearer ${token}`).set('traceparent', `00-${TRACE_ID}-${PARENT_ID}-01`);
    expect(res.status).toBe(200);
    const requestId = res.headers['x-request-id'] as string;
    await requestLine(requestId);
    const mine = lines.filter((l) => reqIdOf(l) === requestId);
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line, JSON.stringify(line)).toMatchObject({ traceId: TRACE_ID, version: packageVersion });
  });
});

describe('the service version', () => {
  it('when anything is logged, then the line carries the version of package.json', () => {
    expect(serviceVersion).toBe(packageVersion);
    const log = createLogger('info', sink);
    log.info('plain');
    log.child({ task: 'x' }).warn({ n: 1 }, 'from a child');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.version).toBe(packageVersion);
  });
});

describe('pretty on a terminal, JSON otherwise', () => {
  const missing = () => {
    throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
  };

  it('when stdout is not a terminal, then the output is JSON', () => {
    expect(stdoutDestination('auto', { isTTY: false }).stream).toBeUndefined();
  });

  it('when stdout is a terminal and pino-pretty is installed, then the output is pretty', () => {
    expect(stdoutDestination('auto', { isTTY: true }).stream).toBeDefined();
    expect(stdoutDestination('pretty', { isTTY: false }).stream).toBeDefined();
  });

  it('when LOG_FORMAT is json, then a terminal gets JSON', () => {
    expect(stdoutDestination('json', { isTTY: true }).stream).toBeUndefined();
  });

  it('when pino-pretty is not installed (a production install), then a terminal gets JSON without complaint, and LOG_FORMAT=pretty says why it is JSON', () => {
    expect(stdoutDestination('auto', { isTTY: true, load: missing })).toEqual({});
    expect(stdoutDestination('pretty', { isTTY: true, load: missing })).toEqual({ note: expect.stringContaining('pino-pretty is not installed') });
  });

  /** Runs a snippet that logs through createLogger, under a terminal (script(1)) or with stdout piped. */
  async function logFrom(tty: boolean): Promise<string> {
    const snippet =
      "const { createLogger } = await import('./src/lib/logger.ts'); const log = createLogger('info');" +
      "log.info({ req: { id: 'r-1', method: 'GET', url: '/v1/schemes' }, res: { statusCode: 200 }, responseTime: 7 }, 'request completed');" +
      "log.info({ nationalId: 'S1234567D' }, 'looked up S1234567D');";
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', snippet];
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const [cmd, args] = tty ? ['script', ['-qec', node.map(quote).join(' '), '/dev/null']] : [node[0]!, node.slice(1)];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd as string, args as string[], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
    });
  }

  it('when the service logs to a terminal, then lines are pretty, requests read as one short line, and national ids stay masked', async () => {
    const out = (await logFrom(true)).replace(/\x1b\[[0-9;]*m/g, '');
    expect(out).toMatch(/INFO.*GET \/v1\/schemes 200 7 ms/);
    expect(out).toMatch(/looked up \[national-id\]/);
    expect(out).not.toContain('S1234567D');
    expect(out).not.toContain('{"level"');
  }, 30_000);

  it('when the service logs to a pipe, then every line is JSON with the version', async () => {
    const out = await logFrom(false);
    const parsed = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(2);
    for (const line of parsed) expect(line.version).toBe(packageVersion);
    expect(out).not.toContain('S1234567D');
  }, 30_000);
});

describe('Ctrl-C', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-ctrl-c-'));
    await chmod(dataDir, 0o755); // the postgres user must traverse it when the tests run as root
  });
  afterAll(async () => {
    // Only what this test started: its process group (the service and its embedded PostgreSQL).
    if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGKILL');
    const lock = path.join(dataDir, 'pg', 'postmaster.pid');
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8').split('\n')[0]);
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 100 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when Ctrl-C reaches the service and its embedded PostgreSQL while sweeps run, then it stops with exit 0 and logs no warning or error', async () => {
    const port = await freePort();
    // Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to every process in it, PostgreSQL included.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1',
        SEED_DEMO: 'false', LOG_LEVEL: 'info', SWEEP_INTERVAL_MS: '10', // a sweep is nearly always running when the signal comes
      },
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    // 'close', not 'exit': the last lines may still be in the pipe when the process has exited.
    const exited = new Promise<number | string>((resolve) => child!.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));

    await vi.waitFor(
      async () => {
        expect(child!.exitCode, out).toBeNull();
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      },
      { timeout: 90_000, interval: 200 },
    );
    await fetch(`http://127.0.0.1:${port}/v1/schemes`);
    await new Promise((r) => setTimeout(r, 500));
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited, out).toBe(0);

    const logged = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.level !== 'info' && l.level !== 'debug'), out).toEqual([]);
    expect(logged.map((l) => l.msg), out).toContain('shutting down');
    for (const line of logged) expect(line.version).toBe(packageVersion);
  }, 180_000);
});
