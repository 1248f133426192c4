import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { ClaimNames } from './http/auth.js';
import type { SignInClaimNames } from './web/auth/claims.js';
import { defaultRateLimits } from './lib/rate-limit-policy.js';
import { currencies, isCurrency, type Currency } from './lib/money.js';
import type { TreasuryAccount } from './modules/deps.js';
import { reportPeriods } from './modules/equity/report-period.js';
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

/**
 * Where the JWKS that verifies bearer tokens comes from: an https:// URL, a
 * file path, or (not in production) an http:// URL. A key set fetched over
 * plain http can be swapped on the way, and with it every token the service
 * would accept; the production check is in the schema's superRefine.
 */
const jwksSource = z
  .string()
  .trim()
  .min(1)
  .superRefine((source, ctx) => {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
    if (scheme === undefined) return; // a file path
    if (scheme !== 'https' && scheme !== 'http') {
      ctx.addIssue({ code: 'custom', message: `must be an https:// URL or the path of a JWKS file, not a ${scheme}:// URL` });
      return;
    }
    if (!URL.canParse(source)) ctx.addIssue({ code: 'custom', message: 'is not a valid URL' });
  });

function blankIsUnsetEarly(v: unknown) {
  return typeof v === 'string' && v.trim() === '' ? undefined : v;
}

/** A claim's name, or a path into nested claims as a list of names: "roles" or ["realm_access", "roles"]. */
const claimPath = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).readonly()]);

/**
 * {"role": "…", "learnerId": "…", "providerId": "…"}: the claims of an
 * identity provider's tokens that carry the service's role and the learner or
 * provider the token speaks for. Names not given keep their defaults (role,
 * learner_id, provider_id).
 */
const authClaimsSchema = jsonText('{"role": "<claim>", "learnerId": "<claim>", "providerId": "<claim>"} (a claim is a name, or a list of names for a nested claim)')
  .pipe(z.strictObject({ role: claimPath.optional(), learnerId: claimPath.optional(), providerId: claimPath.optional() }))
  .transform((names) => Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)) as Partial<ClaimNames>);

/**
 * {"role": …, "nationalId": …, "country": …, "providerRegistration": …}: the
 * claims of the sign-in identity provider's ID token that carry the role, the
 * learner's national id and its country (matched through the keyed hash), and
 * a provider's registration number. Each is a name or a path into nested
 * claims (Keycloak: ["realm_access", "roles"]); names not given keep their
 * defaults (role, national_id, country, provider_registration).
 */
const oidcClaimsSchema = jsonText('{"role": "<claim>", "nationalId": "<claim>", "country": "<claim>", "providerRegistration": "<claim>"} (a claim is a name, or a list of names for a nested claim)')
  .pipe(z.strictObject({ role: claimPath.optional(), nationalId: claimPath.optional(), country: claimPath.optional(), providerRegistration: claimPath.optional() }))
  .transform((names) => Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)) as Partial<SignInClaimNames>);

/** An http(s) URL without a trailing slash; http:// only outside production (checked in the schema's superRefine). */
const webUrl = z.preprocess(
  blankIsUnsetEarly,
  z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).transform((u) => u.replace(/\/+$/, '')).optional(),
);

/** Express's 'trust proxy': false (the TCP peer is the client), a number of proxy hops, or the proxies' addresses. */
export type TrustProxy = false | number | string[];

/** An IPv4 or IPv6 address, with or without a /prefix of its family's length. */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: `false`, a hop count (1: one load balancer in front), or a
 * comma list of addresses, CIDRs and Express's names loopback, linklocal,
 * uniquelocal. Not `true`: trusting every hop lets any client choose its
 * address with X-Forwarded-For, and so its rate-limit key.
 */
const trustProxySchema = z
  .string()
  .trim()
  .transform((text, ctx): TrustProxy => {
    if (text === '' || text === 'false') return false;
    if (/^\d+$/.test(text)) return Number(text) === 0 ? false : Number(text);
    if (text === 'true') {
      ctx.addIssue({ code: 'custom', message: 'true would trust every hop, so any client could choose its address with X-Forwarded-For: give a hop count or the proxies\' addresses' });
      return z.NEVER;
    }
    const entries = text.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => !['loopback', 'linklocal', 'uniquelocal'].includes(e) && !isAddressOrCidr(e));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be false, a hop count, or a comma list of addresses, CIDRs, loopback, linklocal or uniquelocal; not ${bad.map((b) => JSON.stringify(b)).join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

const blankIsUnset = blankIsUnsetEarly;

/** The largest theme file accepted: a sheet of custom-property overrides, not a second stylesheet. */
export const WEB_THEME_CSS_MAX_BYTES = 64 * 1024;

/** WEB_THEME_CSS: a path to the deployment's CSS (SGDS custom-property overrides), read and checked once, at start. */
const themeCss = z.string().trim().min(1).transform((file, ctx) => {
  let css: Buffer;
  try {
    css = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    ctx.addIssue({ code: 'custom', message: `cannot read ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')})` });
    return z.NEVER;
  }
  if (css.length > WEB_THEME_CSS_MAX_BYTES) {
    ctx.addIssue({ code: 'custom', message: `${file} is ${css.length} bytes; at most ${WEB_THEME_CSS_MAX_BYTES} are accepted` });
    return z.NEVER;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(css);
  } catch {
    text = '@import';
  }
  // The pages' CSP allows this origin's styles only: an @import or url() elsewhere would be blocked, so refuse it here, loudly.
  if (/@import|url\(\s*['"]?\s*(https?:)?\/\//i.test(text)) {
    ctx.addIssue({ code: 'custom', message: `${file} must be UTF-8 CSS without @import or url() to another origin` });
    return z.NEVER;
  }
  return { file, css: text };
});

const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: pretty on a terminal when pino-pretty (a development dependency) is installed, JSON otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DATABASE_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default('.data'),
  DB_POOL_SIZE: wholeNumber(1, 200).default(10),
  /** JWKS used to verify bearer tokens: a file path or an https URL (http only outside production). Defaults to the dev key in DATA_DIR; required in production. */
  AUTH_JWKS: z.preprocess(blankIsUnset, jwksSource.optional()),
  AUTH_ISSUER: z.string().min(1).default('learning-credits'),
  AUTH_AUDIENCE: z.string().min(1).default('learning-credits-api'),
  /** The claims that carry the role, learner id and provider id (JSON); unset: role, learner_id, provider_id. */
  AUTH_CLAIMS: z.preprocess(blankIsUnset, authClaimsSchema.optional()),
  /** Key for the keyed hash of national ids (or read from NATIONAL_ID_KEY_FILE by loadConfig). Generated into DATA_DIR in development; required in production. */
  NATIONAL_ID_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Secret under which the schemes' private signing keys (pathway credentials) are sealed at rest. Generated into DATA_DIR in development; required in production. */
  SCHEME_KEY_SECRET: z.preprocess(blankIsUnset, z.string().min(32, 'must be at least 32 characters').optional()),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb').default('256kb'),
  /** How often the background tasks run, once across all replicas on the database; 0: never in this process. */
  SWEEP_INTERVAL_MS: wholeNumber(0).default(5000),
  /** Which proxies in front may name the client in X-Forwarded-For (Express 'trust proxy'); unset: none, the TCP peer is the client. */
  TRUST_PROXY: trustProxySchema.default(false),
  /** More claims than this from one provider within an hour go to finance review. */
  CLAIM_BURST_PER_HOUR: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1_000_000)).default(100),
  /** Rate limits per minute, 0 for none: eligibility checks and learner look-ups per caller, failed authentications per client address. */
  RATE_LIMIT_ELIGIBILITY_PER_MINUTE: wholeNumber(0, 1_000_000).default(defaultRateLimits.eligibility.points),
  RATE_LIMIT_LEARNER_LOOKUP_PER_MINUTE: wholeNumber(0, 1_000_000).default(defaultRateLimits.learnerLookup.points),
  RATE_LIMIT_FAILED_AUTH_PER_MINUTE: wholeNumber(0, 1_000_000).default(defaultRateLimits.failedAuth.points),
  /** Calls of the public credential verification routes per client address (req.ip, see TRUST_PROXY). */
  RATE_LIMIT_PUBLIC_VERIFY_PER_MINUTE: wholeNumber(0, 1_000_000).default(defaultRateLimits.publicVerify.points),
  SEED_DEMO: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Where people's browsers reach the service (the pages' redirect URI is built from it); unset: http://HOST:PORT. */
  PUBLIC_URL: webUrl,
  /** The pages' OpenID Connect issuer (Singpass, Keycloak, …); unset outside production: a local demo provider is started. */
  OIDC_ISSUER: webUrl,
  OIDC_CLIENT_ID: z.string().trim().min(1).default('learning-credits-web'),
  /** The client's secret at the issuer (client_secret_basic); unset: a public client (PKCE alone). */
  OIDC_CLIENT_SECRET: z.preprocess(blankIsUnset, z.string().min(1).optional()),
  /** Which ID-token claims carry the role, the national id and its country, and a provider's registration number (JSON). */
  OIDC_CLAIMS: z.preprocess(blankIsUnset, oidcClaimsSchema.optional()),
  /** The port of the local demo identity provider on 127.0.0.1 (only without OIDC_ISSUER); unset: PORT + 1. */
  OIDC_LOCAL_PORT: z.preprocess(blankIsUnset, wholeNumber(0, 65535).optional()),
  /** The deployment's theme: a CSS file of SGDS custom-property overrides, served after the SGDS tokens in the one stylesheet. */
  WEB_THEME_CSS: z.preprocess(blankIsUnset, themeCss.optional()),
  /** The treasury's disbursement account per currency (JSON). Required in production; elsewhere demo accounts apply. */
  TREASURY_ACCOUNTS: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), treasuryAccountsSchema.optional()),
  /** The periods the equity report is published for: any asOf answers for the last month (default) or quarter closed by then. */
  EQUITY_REPORT_PERIOD: z.preprocess(blankIsUnset, z.enum(reportPeriods).optional()),
  /** Clawbacks and recoveries above this (per currency, minor units) take a second officer; a currency not named always takes two. */
  /**
   * Days after a learner's last activity (registration, grant, enrolment, claim) after which the
   * retention task erases their personal data, once no credit, enrolment, claim or payment of theirs
   * is open; 0: never by retention (erasure on request only).
   */
  RETENTION_DAYS_AFTER_LAST_ACTIVITY: wholeNumber(0, 36_500).default(2555),
  FOUR_EYES_ABOVE: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), fourEyesAboveSchema.optional()),
  /** Where email notices are sent through: smtp:// or smtps://, with credentials if the relay needs them. Unset: outside production they are written to the log without the address; in production none are sent. */
  SMTP_URL: z.preprocess(blankIsUnset, z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
  /** The From of email notices. */
  NOTICE_FROM: z.preprocess(blankIsUnset, z.email('must be an email address').default('notices@learning-credits.example')),
  /** The SMS gateway notices are posted to as JSON {to, text} (https in production). Unset: no SMS notices. */
  SMS_GATEWAY_URL: webUrl,
  /** The SMS gateway's bearer token. */
  SMS_GATEWAY_TOKEN: z.preprocess(blankIsUnset, z.string().min(1).optional()),
  /** Run the background worker (outbox relay, webhook deliveries) in this process; false: another process runs it. */
  WORKER_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** How often the worker hands committed outbox events to its parts. */
  WORKER_RELAY_INTERVAL_MS: wholeNumber(10, 3_600_000).default(1000),
  /** Development and tests only: a webhook endpoint may be http(s)://127.0.0.1:<port>. Refused in production. */
  WEBHOOKS_ALLOW_LOCAL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
}).superRefine((c, ctx) => {
  if (c.NODE_ENV !== 'production') return;
  if (c.WEBHOOKS_ALLOW_LOCAL) {
    ctx.addIssue({ code: 'custom', path: ['WEBHOOKS_ALLOW_LOCAL'], message: 'must not be true in production: webhook deliveries never go to this machine or its network' });
  }
  if (c.TREASURY_ACCOUNTS === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TREASURY_ACCOUNTS'], message: 'is required in production: the account payment files are paid from, per currency' });
  }
  if (c.AUTH_JWKS === undefined) {
    ctx.addIssue({
      code: 'custom', path: ['AUTH_JWKS'],
      message: "is required in production: the identity provider's JWKS (an https:// URL or a file), not the development signing key in DATA_DIR",
    });
  } else if (/^http:\/\//i.test(c.AUTH_JWKS)) {
    ctx.addIssue({
      code: 'custom', path: ['AUTH_JWKS'],
      message: 'must be an https:// URL (or a file) in production: a key set fetched over plain http:// can be swapped on the way, and with it every token the service accepts',
    });
  }
  if (c.SMS_GATEWAY_URL?.startsWith('http://')) {
    ctx.addIssue({ code: 'custom', path: ['SMS_GATEWAY_URL'], message: 'must be an https:// URL in production: phone numbers and notices are not sent in the clear' });
  }
  for (const name of ['OIDC_ISSUER', 'PUBLIC_URL'] as const) {
    if (c[name]?.startsWith('http://')) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'must be an https:// URL in production: sign-in and its session cookie are not sent in the clear' });
    }
  }
  if (c.SCHEME_KEY_SECRET === undefined) {
    ctx.addIssue({
      code: 'custom', path: ['SCHEME_KEY_SECRET'],
      message: "is required in production: the secret the schemes' private signing keys are sealed under, not a generated development secret",
    });
  }
  if (c.NATIONAL_ID_KEY === undefined) {
    ctx.addIssue({
      code: 'custom', path: ['NATIONAL_ID_KEY'],
      message: 'is required in production (or NATIONAL_ID_KEY_FILE, the path of a file holding it): the key national ids are hashed under, not a generated development key',
    });
  }
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

/**
 * NATIONAL_ID_KEY_FILE: the key read from a file, as an orchestrator mounts
 * secrets (Kubernetes secret volumes, Docker and Compose secrets at
 * /run/secrets/…). Surrounding whitespace and the final newline are dropped.
 */
function withKeyFromFile(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; issues: string[] } {
  const file = env.NATIONAL_ID_KEY_FILE?.trim();
  if (!file) return { env, issues: [] };
  if (env.NATIONAL_ID_KEY !== undefined && env.NATIONAL_ID_KEY.trim() !== '') {
    return { env, issues: ['NATIONAL_ID_KEY_FILE: give NATIONAL_ID_KEY or NATIONAL_ID_KEY_FILE, not both'] };
  }
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
    return { env, issues: [`NATIONAL_ID_KEY_FILE: cannot read ${file} (${why})`] };
  }
  if (key.length < 32) return { env, issues: [`NATIONAL_ID_KEY_FILE: the key in ${file} must be at least 32 characters`] };
  return { env: { ...env, NATIONAL_ID_KEY: key }, issues: [] };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = withKeyFromFile(env);
  const parsed = configSchema.safeParse(fromFile.env);
  const schemaIssues = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  // A key file that cannot be used is said once, not again as a missing NATIONAL_ID_KEY.
  const issues = [...fromFile.issues, ...schemaIssues.filter((i) => fromFile.issues.length === 0 || !i.startsWith('NATIONAL_ID_KEY: '))];
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}
