import path from 'node:path';
import { z } from 'zod';
import { currencies, isCurrency, type Currency } from './lib/money.js';
import type { TreasuryAccount } from './modules/deps.js';
import { debtorAccountProblem, paymentTextProblem, profileOf } from './modules/disbursements/payee-text.js';
import { accountNumberSchema, bicSchema, ibanSchema } from './modules/providers/bank-account.js';

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

/**
 * The treasury's disbursement account per currency, as JSON:
 * {"EUR":{"name":"…","iban":"…","bic":"…"},"SGD":{"name":"…","accountNumber":"…","bic":"…"}}.
 * The same validators as a provider's bank account; the name obeys the
 * payment-file rules of that currency (EUR: SEPA, so an IBAN and a 70-character
 * name in the EPC set).
 */
const treasuryAccountSchema = z
  .strictObject({ name: z.string().trim(), iban: ibanSchema.optional(), accountNumber: accountNumberSchema.optional(), bic: bicSchema })
  .superRefine((a, ctx) => {
    if ((a.iban === undefined) === (a.accountNumber === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of iban and accountNumber' });
    }
  });

/** A variable holding JSON: parsed, or an issue that shows the expected shape. */
const jsonText = (shape: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be JSON: ${shape}` });
      return z.NEVER;
    }
  });

/** {"SGD":"100000"}: per currency, the amount in minor units above which a clawback or recovery takes a second officer. */
const fourEyesAboveSchema = jsonText('{"<currency>": "<minor units>"}')
  .pipe(
    z.record(z.string(), z.string().regex(/^\d{1,18}$/, 'must be a whole number of minor units, as a string')).superRefine((limits, ctx) => {
      for (const currency of Object.keys(limits)) {
        if (!isCurrency(currency)) ctx.addIssue({ code: 'custom', path: [currency], message: `is not a currency the service funds (ISO 4217: ${Object.keys(currencies).join(', ')})` });
      }
    }),
  )
  .transform((limits) => Object.fromEntries(Object.entries(limits).map(([c, v]) => [c, BigInt(v)])));

const treasuryAccountsSchema = jsonText('{"<currency>": {"name", "iban" or "accountNumber", "bic"}}')
  .pipe(
    z.record(z.string(), treasuryAccountSchema).superRefine((accounts, ctx) => {
      if (Object.keys(accounts).length === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one currency' });
      for (const [currency, account] of Object.entries(accounts)) {
        if (!isCurrency(currency)) {
          ctx.addIssue({ code: 'custom', path: [currency], message: `is not a currency the service funds (ISO 4217: ${Object.keys(currencies).join(', ')})` });
          continue;
        }
        const profile = profileOf(currency);
        const nameProblem = paymentTextProblem(account.name, 'partyName', profile);
        if (nameProblem) ctx.addIssue({ code: 'custom', path: [currency, 'name'], message: nameProblem });
        const accountProblem = debtorAccountProblem(account, profile);
        if (accountProblem) ctx.addIssue({ code: 'custom', path: [currency, accountProblem.field], message: accountProblem.message });
      }
    }),
  )
  .transform((accounts) => accounts as Partial<Record<Currency, TreasuryAccount>>);

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
  /** The treasury's disbursement account per currency (JSON). Required in production; elsewhere demo accounts apply. */
  TREASURY_ACCOUNTS: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), treasuryAccountsSchema.optional()),
  /** Clawbacks and recoveries above this (per currency, minor units) take a second officer; a currency not named always takes two. */
  FOUR_EYES_ABOVE: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), fourEyesAboveSchema.optional()),
}).superRefine((c, ctx) => {
  if (c.NODE_ENV === 'production' && c.TREASURY_ACCOUNTS === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TREASURY_ACCOUNTS'], message: 'is required in production: the account payment files are paid from, per currency' });
  }
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
