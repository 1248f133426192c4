import path from 'node:path';
import { z } from 'zod';

const optionalUrl = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
);

/**
 * A whole number from the environment: decimal digits only. z.coerce.number()
 * turned '' and ' ' into 0 (PORT 0 = a random port, SWEEP_INTERVAL_MS 0 = no
 * sweeps) and accepted 0x50 or 1e3.
 */
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default('.data'),
  DB_POOL_SIZE: wholeNumber(1, 200).default(10),
  /** JWKS used to verify bearer tokens: a file path or an https URL. Defaults to the dev key in DATA_DIR. */
  AUTH_JWKS: z.string().min(1).optional(),
  AUTH_ISSUER: z.string().min(1).default('learning-credits'),
  AUTH_AUDIENCE: z.string().min(1).default('learning-credits-api'),
  /** Key for the keyed hash of national ids. Generated into DATA_DIR in development. */
  NATIONAL_ID_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('256kb'),
  SWEEP_INTERVAL_MS: wholeNumber(0).default(5000),
  /** More claims than this from one provider within an hour go to finance review. */
  CLAIM_BURST_PER_HOUR: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1_000_000)).default(100),
  SEED_DEMO: z.enum(['auto', 'true', 'false']).default('auto'),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
