import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createLogger } from '../../src/lib/logger.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stopping the embedded PostgreSQL', () => {
  it('when the server has already stopped (Ctrl-C reached the whole process group), then stop() returns instead of waiting for ever', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-embedded-stop-'));
    // As root, PostgreSQL runs as its own user, which must reach the folder (as in test/support/global-setup.ts).
    await chmod(dataDir, 0o755);
    try {
      const server = await startEmbeddedPostgres({ dataDir, logger: createLogger('silent'), fast: true, ephemeral: true });
      const pid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(alive(pid)).toBe(true);
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      expect(alive(pid)).toBe(false);
      // Let Node see the child's exit before stop() is asked for, as in a shutdown that stops other things first.
      await new Promise((r) => setTimeout(r, 500));
      const outcome = await Promise.race([server.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 10_000))]);
      expect(outcome).toBe('stopped');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
