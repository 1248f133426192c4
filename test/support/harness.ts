import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createNationalIdProtector } from '../../src/lib/national-id.js';
import { noRateLimits } from '../../src/lib/rate-limit-policy.js';
import type { Policy, ServiceDeps } from '../../src/modules/deps.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { perFile } from './per-file.js';
import { createSigningKey, type SigningKey } from './signing-key.js';

export interface Harness {
  app: Express;
  database: TestDatabase;
  ledger: Ledger;
  clock: ManualClock;
  deps: ServiceDeps;
  token: SigningKey['token'];
  /** Signs arbitrary claims with the trusted key (for forged/expired token tests). */
  sign: SigningKey['sign'];
  close(): Promise<void>;
}

export interface HarnessOptions {
  now?: Date;
  poolSize?: number;
}

/**
 * The app in-process over its own real database, with a test signing key and
 * a clock the test moves.
 */
export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase(options.poolSize ? { poolSize: options.poolSize } : {});
  const key = await createSigningKey({ kid: 'test' });
  const clock = new ManualClock(options.now ?? new Date('2027-01-05T02:00:00Z'));
  const metrics = createMetrics();
  const ledger = new Ledger({ clock, metrics });
  const logger = createLogger('silent');
  const nationalIds = createNationalIdProtector('test-national-id-key-0123456789abcdef');
  // Nothing rate-limited (test/http/rate-limits.test.ts builds its own limited apps); apps built over h.deps inherit it.
  const policy: Partial<Policy> = { rateLimits: noRateLimits };
  const app = createApp({ database, ledger, clock, logger, metrics, authenticator: key.authenticator(), nationalIds, policy, bodyLimit: '256kb' });
  return {
    app,
    database,
    ledger,
    clock,
    deps: { database, ledger, clock, logger, nationalIds, policy },
    token: key.token,
    sign: key.sign,
    close: () => database.drop(),
  };
}

/**
 * The harness of a test file: created before its tests, closed after them.
 * `const h = useHarness()` at the top level; h's fields are there from beforeAll on.
 */
export function useHarness(options: HarnessOptions = {}): Harness {
  return perFile(() => createHarness(options), (harness) => harness.close());
}
