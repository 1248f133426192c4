import type { Logger } from './logger.js';

export interface Periodic {
  stop(): Promise<void>;
}

/** Runs task every intervalMs, never overlapping itself; stop() waits for the current run. */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = task()
      .catch((err: unknown) => logger.warn({ err: { message: (err as Error).message }, task: name }, 'periodic task failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
