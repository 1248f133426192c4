import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { alive, startService, type ServiceProcess } from './service-process.js';

/**
 * The service started as a user starts it (`npm start` runs
 * `tsx src/server.ts`; here `node --import tsx src/server.ts`, the same
 * process without the wrapper) on an embedded PostgreSQL in a data folder of
 * its own: a taken port, a second start on the same folder, and a start
 * after `kill -9` left the embedded PostgreSQL running.
 */

let dataDir: string;
const started: ServiceProcess[] = [];
const lockFile = () => path.join(dataDir, 'pg', 'postmaster.pid');
const postmasterPid = () => Number(readFileSync(lockFile(), 'utf8').split('\n')[0]);

function start(port: number): ServiceProcess {
  const s = startService(['--import', 'tsx', 'src/server.ts'], { DATA_DIR: dataDir, LOG_LEVEL: 'info', SWEEP_INTERVAL_MS: '0', NODE_ENV: 'development' }, port);
  started.push(s);
  return s;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-ops-start-'));
  await chmod(dataDir, 0o755); // the postgres user must traverse it when the tests run as root
});

afterAll(async () => {
  // Only what these tests started: the service processes, then a PostgreSQL one of them left behind.
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  if (existsSync(lockFile())) {
    const pid = postmasterPid();
    if (alive(pid)) process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('starting the service (src/server.ts)', () => {
  it('when the port is taken, then it exits 1 naming the port, and stops the embedded PostgreSQL it started', async () => {
    const port = await freePort();
    const squatter = net.createServer((socket) => socket.end());
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
    try {
      const s = start(port);
      expect(await s.exited(120_000)).toBe(1);
      expect(s.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(s.output()).not.toMatch(/listening on/);
      expect(s.output()).not.toContain('undefined');
      expect(existsSync(lockFile()), 'the embedded PostgreSQL is still running').toBe(false);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  }, 150_000);

  it('when it starts on a seeded data folder, then it prints every demo id the README uses again', async () => {
    const s = start(await freePort());
    await s.healthy();
    const out = s.output();
    expect(out).toContain('demo data already present');
    expect(new Set(out.match(/learnerId [0-9a-f-]{36}/g)).size).toBe(6);
    expect(new Set(out.match(/providerId [0-9a-f-]{36}/g)).size).toBe(3);
    expect(out).toMatch(/demo express run [0-9a-f-]{36} .*enrolment [0-9a-f-]{36} is reserved; the run (ends|ended) at \d\d:\d\d:\d\d UTC/);
    expect(out).toMatch(/npm run credential -- --enrolment [0-9a-f-]{36}/);
    expect(out).toContain('--role finance --sub officer-2');
  }, 120_000);

  it('when a second start uses the same DATA_DIR, then it exits 1 naming the process that holds it and what to do', async () => {
    const first = started[started.length - 1]!;
    const second = start(await freePort());
    expect(await second.exited()).toBe(1);
    const out = second.output();
    expect(out).toContain(`DATA_DIR ${dataDir} is in use`);
    expect(out).toContain(`belongs to process ${first.child.pid}`);
    expect(out).toContain(`kill ${first.child.pid}`);
    expect(out).not.toContain('undefined');
    // The first is untouched.
    expect((await fetch(`${first.base}/healthz`)).status).toBe(200);
  }, 120_000);

  it('when the service was killed with kill -9, then the next start stops the PostgreSQL it left running and serves', async () => {
    const first = started[started.length - 2]!;
    const orphan = postmasterPid();
    first.child.kill('SIGKILL');
    await first.exited();
    expect(alive(orphan), 'kill -9 of the service leaves its PostgreSQL running').toBe(true);

    const next = start(await freePort());
    await next.healthy();
    expect(next.output()).toContain(`an embedded PostgreSQL (pid ${orphan}) was left running on this data folder`);
    expect(alive(orphan)).toBe(false);
    expect(postmasterPid()).not.toBe(orphan);

    next.child.kill('SIGTERM');
    expect(await next.exited()).toBe(0);
    expect(existsSync(lockFile()), 'a clean stop stops PostgreSQL too').toBe(false);
  }, 120_000);
});
