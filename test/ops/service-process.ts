import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoRoot } from './cli-support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  base: string;
  /** stdout and stderr as they came. */
  output(): string;
  /** Resolves when /healthz answers 200; rejects when the process exits first. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name). */
  exited(timeoutMs?: number): Promise<number | string>;
}

/** The real service as its own process: `node <args>` (from the project folder unless `cwd`), with `env` only (nothing inherited but PATH and HOME). */
export function startService(args: string[], env: Record<string, string>, port: number, cwd = repoRoot): ServiceProcess {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    base,
    output: () => out,
    async healthy(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited (${child.exitCode ?? child.signalCode}):\n${out.slice(-3000)}`);
        try {
          const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
          if (r.status === 200) return;
        } catch {
          /* not yet */
        }
        await sleep(100);
      }
      throw new Error(`the service did not answer /healthz within ${timeoutMs} ms:\n${out.slice(-3000)}`);
    },
    async exited(timeoutMs = 90_000) {
      const timer = sleep(timeoutMs).then(() => {
        throw new Error(`the service did not exit within ${timeoutMs} ms:\n${out.slice(-3000)}`);
      });
      return Promise.race([exit, timer]);
    },
  };
}

/** True while a process with this pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
