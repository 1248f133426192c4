import type { Config } from './config.js';
import { connect, type Database } from './db/client.js';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from './db/embedded.js';
import { applyMigrations } from './db/migrate.js';
import { createAuthenticator, loadJwks, type Authenticator } from './http/auth.js';
import { Ledger } from './ledger/ledger.js';
import { systemClock, type Clock } from './lib/clock.js';
import { ensureDevNationalIdKey, ensureDevSchemeKeySecret, ensureDevSigningKey } from './lib/dev-keys.js';
import { createKeySealer, type KeySealer } from './lib/key-sealer.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { createNationalIdProtector, type NationalIdProtector } from './lib/national-id.js';

export interface Runtime {
  database: Database;
  ledger: Ledger;
  clock: Clock;
  metrics: Metrics;
  authenticator: Authenticator;
  nationalIds: NationalIdProtector;
  /** Seals the schemes' private signing keys at rest. */
  keySealer: KeySealer;
  embedded?: EmbeddedServer;
  /** Where the database URL came from, for the start-up log. */
  databaseUrl: string;
  close(): Promise<void>;
}

/** config -> database (external or embedded) -> migrations -> auth keys. */
export async function startRuntime(config: Config, logger: Logger): Promise<Runtime> {
  let embedded: EmbeddedServer | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
    await ensureDatabase(embedded, 'learning_credits');
    databaseUrl = embedded.url('learning_credits');
  }
  const database = connect(databaseUrl, { poolSize: config.DB_POOL_SIZE, logger });
  try {
    await applyMigrations(database.db);
  } catch (err) {
    await database.close();
    await embedded?.stop();
    throw err;
  }
  const jwksSource = config.AUTH_JWKS ?? (await ensureDevSigningKey(config.dataDir));
  const authenticator = createAuthenticator(await loadJwks(jwksSource), {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    ...(config.AUTH_CLAIMS ? { claims: config.AUTH_CLAIMS } : {}),
  });
  if (!config.NATIONAL_ID_KEY && config.NODE_ENV === 'production') throw new Error('NATIONAL_ID_KEY is required in production');
  const nationalIds = createNationalIdProtector(config.NATIONAL_ID_KEY ?? (await ensureDevNationalIdKey(config.dataDir)));
  if (!config.SCHEME_KEY_SECRET && config.NODE_ENV === 'production') throw new Error('SCHEME_KEY_SECRET is required in production');
  const keySealer = createKeySealer(config.SCHEME_KEY_SECRET ?? (await ensureDevSchemeKeySecret(config.dataDir)));
  const clock = systemClock;
  const metrics = createMetrics();
  const ledger = new Ledger({ clock, metrics });
  return {
    database,
    ledger,
    clock,
    metrics,
    authenticator,
    nationalIds,
    keySealer,
    ...(embedded ? { embedded } : {}),
    databaseUrl: databaseUrl.replace(/:[^:@/]*@/, ':***@'),
    async close() {
      await database.close();
      await embedded?.stop();
    },
  };
}

