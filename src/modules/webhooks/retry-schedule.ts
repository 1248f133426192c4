/**
 * When a failed delivery is tried again: 30 seconds after the first attempt,
 * then doubling (1, 2, 4 … minutes), each delay capped at 6 hours and spread
 * by ±10 % jitter so that endpoints coming back up are not hit by every
 * retry at the same instant. Once the next attempt would fall more than 3
 * days after the first, there is none: the delivery is dead-lettered. That
 * makes about 20 attempts over the 3 days.
 */
export const retrySchedule = {
  firstDelayMs: 30_000,
  maxDelayMs: 6 * 3_600_000,
  jitter: 0.1,
  windowMs: 3 * 86_400_000,
} as const;

/**
 * The instant of the next attempt after `attemptsMade` failed ones, the last
 * at `lastAttemptAt`, or null when it would be past the window.
 * `random` is in [0, 1).
 */
export function nextAttemptAt(firstAttemptAt: Date, lastAttemptAt: Date, attemptsMade: number, random: number = Math.random()): Date | null {
  const base = Math.min(retrySchedule.maxDelayMs, retrySchedule.firstDelayMs * 2 ** Math.min(Math.max(attemptsMade - 1, 0), 30));
  const delay = Math.round(base * (1 + retrySchedule.jitter * (2 * random - 1)));
  const next = new Date(lastAttemptAt.getTime() + delay);
  return next.getTime() - firstAttemptAt.getTime() > retrySchedule.windowMs ? null : next;
}
