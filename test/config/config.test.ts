import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createAuthenticator } from '../../src/http/auth.js';
import { AppError } from '../../src/lib/app-error.js';
import { createLogger } from '../../src/lib/logger.js';
import { defaultPolicy } from '../../src/modules/deps.js';
import { startRuntime } from '../../src/runtime.js';
import { useTestDatabase } from '../support/db.js';
import { createSigningKey, type SigningKey } from '../support/signing-key.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What production requires besides TREASURY_ACCOUNTS: the identity provider's keys, the national-id key and the scheme-key secret. */
const production = {
  NODE_ENV: 'production', AUTH_JWKS: 'https://idp.example/.well-known/jwks.json', NATIONAL_ID_KEY: 'k'.repeat(32), SCHEME_KEY_SECRET: 's'.repeat(32),
} as const;
const treasury = { TREASURY_ACCOUNTS: JSON.stringify({ SGD: { name: 'Learning Credits Treasury SG', accountNumber: '0720123456', bic: 'DBSSSGSGXXX' } }) };

/** loadConfig's error, or a failed assertion when it did not throw. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('when the environment is empty, then every setting has its default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, LOG_LEVEL: 'info', HOST: '127.0.0.1', BODY_LIMIT: '256kb', SWEEP_INTERVAL_MS: 5000 });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(path.isAbsolute(config.dataDir)).toBe(true);
  });

  it('when the settings are valid, then they are parsed to their types', () => {
    const config = loadConfig({ PORT: '8080', LOG_LEVEL: 'debug', DATABASE_URL: 'postgresql://lc:pw@db.internal:5432/lc' });
    expect(config.PORT).toBe(8080);
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.DATABASE_URL).toBe('postgresql://lc:pw@db.internal:5432/lc');
  });

  it('when DATABASE_URL is empty, then it counts as unset (embedded database)', () => {
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it.each(['abc', '70000', '-1', '3.5', '', ' ', '0x50', '1e3'])('when PORT is %j, then ConfigError names PORT', (port) => {
    const err = configError({ PORT: port });
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatch(/^PORT: /);
    expect(err.message).toContain('PORT');
  });

  it.each(['loud', 'INFO', ''])('when LOG_LEVEL is %j, then ConfigError names LOG_LEVEL', (level) => {
    const err = configError({ LOG_LEVEL: level });
    expect(err.issues).toEqual([expect.stringMatching(/^LOG_LEVEL: /)]);
  });

  it.each(['not a url', 'mysql://u:p@localhost/db', 'http://localhost:5432/db'])(
    'when DATABASE_URL is %j, then ConfigError names DATABASE_URL',
    (url) => {
      const err = configError({ DATABASE_URL: url });
      expect(err.issues).toEqual([expect.stringMatching(/^DATABASE_URL: /)]);
      expect(err.message).toContain('postgres://');
    },
  );

  it('when SWEEP_INTERVAL_MS is empty, then ConfigError rather than silently 0 (which would stop the sweeps)', () => {
    expect(configError({ SWEEP_INTERVAL_MS: '' }).issues).toEqual([expect.stringMatching(/^SWEEP_INTERVAL_MS: /)]);
  });

  it('when several settings are bad, then ConfigError lists every one of them', () => {
    const err = configError({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(err.issues.map((i) => i.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });
});

describe('TREASURY_ACCOUNTS', () => {
  const sgd = { name: 'SkillsFuture Singapore Disbursements', accountNumber: '0720123456', bic: 'DBSSSGSGXXX' };
  const eur = { name: 'Caisse des Formations', iban: 'FR7630006000011234567890189', bic: 'AGRIFRPPXXX' };
  const accounts = (value: unknown) => ({ TREASURY_ACCOUNTS: typeof value === 'string' ? value : JSON.stringify(value) });

  it('when unset outside production, then it is undefined and the demo accounts of the policy apply', () => {
    expect(loadConfig({}).TREASURY_ACCOUNTS).toBeUndefined();
    expect(loadConfig({ TREASURY_ACCOUNTS: ' ' }).TREASURY_ACCOUNTS).toBeUndefined();
    expect(Object.keys(defaultPolicy.treasuryAccounts).sort()).toEqual(['EUR', 'IDR', 'SGD']);
  });

  it('when the demo accounts are given as the variable, then they pass the same checks unchanged', () => {
    expect(loadConfig(accounts(defaultPolicy.treasuryAccounts)).TREASURY_ACCOUNTS).toEqual(defaultPolicy.treasuryAccounts);
  });

  it('when unset in production, then ConfigError says it is required', () => {
    const err = configError({ ...production });
    expect(err.issues).toEqual([expect.stringMatching(/^TREASURY_ACCOUNTS: is required in production/)]);
    expect(loadConfig({ ...production, ...accounts({ EUR: eur }) }).TREASURY_ACCOUNTS).toEqual({ EUR: eur });
  });

  it('when accounts are typed as people type them, then the IBAN, BIC and account number are stored in electronic form', () => {
    const config = loadConfig(accounts({ EUR: { ...eur, iban: 'fr76 3000 6000 0112 3456 7890 189', bic: 'agrifrppxxx' }, SGD: { ...sgd, accountNumber: '072-012345-6' } }));
    expect(config.TREASURY_ACCOUNTS).toEqual({ EUR: eur, SGD: sgd });
  });

  it.each([
    ['not JSON', '{EUR:', 'TREASURY_ACCOUNTS', /must be JSON/],
    ['a list', '[]', 'TREASURY_ACCOUNTS', /expected record/],
    ['no currency at all', '{}', 'TREASURY_ACCOUNTS', /at least one currency/],
    ['an unknown currency', { XYZ: sgd }, 'TREASURY_ACCOUNTS.XYZ', /not a currency the service funds/],
    ['both iban and accountNumber', { SGD: { ...sgd, iban: eur.iban } }, 'TREASURY_ACCOUNTS.SGD', /exactly one of iban and accountNumber/],
    ['neither iban nor accountNumber', { SGD: { name: sgd.name, bic: sgd.bic } }, 'TREASURY_ACCOUNTS.SGD', /exactly one of iban and accountNumber/],
    ['an IBAN failing mod-97', { EUR: { ...eur, iban: 'FR7630006000011234567890188' } }, 'TREASURY_ACCOUNTS.EUR.iban', /mod-97/],
    ['a malformed BIC', { SGD: { ...sgd, bic: 'DBS' } }, 'TREASURY_ACCOUNTS.SGD.bic', /ISO 9362 BIC/],
    ['a missing BIC', { SGD: { name: sgd.name, accountNumber: sgd.accountNumber } }, 'TREASURY_ACCOUNTS.SGD.bic', /./],
    ['EUR paid from a local account number', { EUR: { name: eur.name, accountNumber: '0720123456', bic: eur.bic } }, 'TREASURY_ACCOUNTS.EUR.iban', /SEPA.*IBAN/],
    ['EUR paid from a non-SEPA IBAN', { EUR: { ...eur, iban: 'SA0380000000608010167519' } }, 'TREASURY_ACCOUNTS.EUR.iban', /SEPA country/],
    ['a EUR name outside the SEPA character set', { EUR: { ...eur, name: 'Caisse & Fonds' } }, 'TREASURY_ACCOUNTS.EUR.name', /SEPA character set/],
    ['a EUR name over 70 characters', { EUR: { ...eur, name: 'C'.repeat(71) } }, 'TREASURY_ACCOUNTS.EUR.name', /at most 70/],
    ['a name over 140 characters', { SGD: { ...sgd, name: 'S'.repeat(141) } }, 'TREASURY_ACCOUNTS.SGD.name', /at most 140/],
    ['an empty name', { SGD: { ...sgd, name: ' ' } }, 'TREASURY_ACCOUNTS.SGD.name', /must not be empty/],
    ['a control character in the name', { SGD: { ...sgd, name: 'Treasury\u0000SG' } }, 'TREASURY_ACCOUNTS.SGD.name', /control characters/],
    ['an unknown member', { SGD: { ...sgd, agent: 'x' } }, 'TREASURY_ACCOUNTS.SGD', /Unrecognized key/],
  ])('when it holds %s, then ConfigError names %s', (_label, value, path, message) => {
    const err = configError(accounts(value));
    expect(err.issues).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}: `))]);
    expect(err.issues[0]).toMatch(message);
  });
});

describe('src/server.ts', () => {
  it('when started with PORT=abc, then it exits 1 and stderr names PORT, without a stack trace', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: 'abc' };
    const started = Date.now();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/server.ts'],
        { cwd: root, env, timeout: 30_000 },
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/invalid configuration/);
    expect(result.stderr).toMatch(/^\s+- PORT: /m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(/listening/);
    // It failed on the configuration, before starting a database.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('when started in production without TREASURY_ACCOUNTS, then it exits 1 and stderr names TREASURY_ACCOUNTS', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' };
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', 'src/server.ts'],
        { cwd: root, env, timeout: 30_000 },
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^\s+- TREASURY_ACCOUNTS: is required in production/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(/listening/);
  });
});

describe('FOUR_EYES_ABOVE', () => {
  it('when set, then each currency gets its amount as bigint minor units', () => {
    expect(loadConfig({ FOUR_EYES_ABOVE: '{"SGD":"50000","IDR":"100000000"}' }).FOUR_EYES_ABOVE).toEqual({ SGD: 50_000n, IDR: 100_000_000n });
    expect(loadConfig({}).FOUR_EYES_ABOVE).toBeUndefined();
  });

  it.each([
    ['not JSON', '{SGD:1}', 'FOUR_EYES_ABOVE'],
    ['an unknown currency', '{"XXX":"100"}', 'FOUR_EYES_ABOVE.XXX'],
    ['a decimal amount', '{"SGD":"100.50"}', 'FOUR_EYES_ABOVE.SGD'],
    ['a number, not a string', '{"SGD":100}', 'FOUR_EYES_ABOVE.SGD'],
  ])('when it is %s, then ConfigError names %s', (_label, value, path) => {
    expect(configError({ FOUR_EYES_ABOVE: value }).issues.join('\n')).toContain(path);
  });
});

/** Runs src/server.ts with this environment only (PATH and HOME besides). */
function startServer(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/server.ts'],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('AUTH_JWKS', () => {
  it.each(['https://idp.example/realms/lc/protocol/openid-connect/certs', '/etc/learning-credits/jwks.json', 'jwks.json'])(
    'when it is %s in production, then it is accepted',
    (source) => {
      expect(loadConfig({ ...production, ...treasury, AUTH_JWKS: source }).AUTH_JWKS).toBe(source);
    },
  );

  it.each(['http://idp.example/jwks.json', 'http://127.0.0.1:8080/jwks.json', 'HTTP://idp.example/jwks.json'])(
    'when it is %s in production, then ConfigError names AUTH_JWKS and asks for https',
    (source) => {
      const err = configError({ ...production, ...treasury, AUTH_JWKS: source });
      expect(err.issues).toEqual([expect.stringMatching(/^AUTH_JWKS: must be an https:\/\/ URL \(or a file\) in production/)]);
    },
  );

  it.each(['development', 'test'])('when it is http://127.0.0.1 with NODE_ENV=%s, then it is accepted (a local identity provider)', (env) => {
    expect(loadConfig({ NODE_ENV: env, AUTH_JWKS: 'http://127.0.0.1:8080/jwks.json' }).AUTH_JWKS).toBe('http://127.0.0.1:8080/jwks.json');
  });

  it.each([
    ['another scheme', 'ftp://idp.example/jwks.json', /must be an https:\/\/ URL or the path of a JWKS file, not a ftp:\/\/ URL/],
    ['a file URL', 'file:///etc/jwks.json', /not a file:\/\/ URL/],
    ['an https URL without a host', 'https://', /not a valid URL/],
  ])('when it is %s, then ConfigError names AUTH_JWKS', (_label, source, message) => {
    const err = configError({ AUTH_JWKS: source });
    expect(err.issues).toEqual([expect.stringMatching(/^AUTH_JWKS: /)]);
    expect(err.issues[0]).toMatch(message);
  });

  it('when unset in production, then ConfigError says it is required (the development signing key must not sign real tokens)', () => {
    const { AUTH_JWKS: _unset, ...rest } = production;
    expect(configError({ ...rest, ...treasury }).issues).toEqual([expect.stringMatching(/^AUTH_JWKS: is required in production/)]);
    expect(configError({ ...rest, ...treasury, AUTH_JWKS: ' ' }).issues).toEqual([expect.stringMatching(/^AUTH_JWKS: is required in production/)]);
  });

  it('when the service starts in production with an http:// JWKS, then it exits 1 naming AUTH_JWKS, before starting a database', async () => {
    const result = await startServer({ ...production, ...treasury, AUTH_JWKS: 'http://idp.example/jwks.json' });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^\s+- AUTH_JWKS: must be an https:\/\/ URL/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(/listening|embedded PostgreSQL/);
  });
});

describe('NATIONAL_ID_KEY and NATIONAL_ID_KEY_FILE', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'lc-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const secretFile = async (content: string) => {
    const file = path.join(dir, `key-${randomUUID()}`);
    await writeFile(file, content, { mode: 0o600 });
    return file;
  };

  it('when unset in production, then ConfigError names NATIONAL_ID_KEY and its file variant', () => {
    const { NATIONAL_ID_KEY: _unset, ...rest } = production;
    const err = configError({ ...rest, ...treasury });
    expect(err.issues).toEqual([expect.stringMatching(/^NATIONAL_ID_KEY: is required in production \(or NATIONAL_ID_KEY_FILE/)]);
  });

  it('when NATIONAL_ID_KEY_FILE names a mounted secret, then the key is read from it without its final newline', async () => {
    const key = 'a3f1c9e07b5d42e8a1f6c3b9d0e7f2a4';
    const file = await secretFile(`${key}\n`);
    const { NATIONAL_ID_KEY: _unset, ...rest } = production;
    const config = loadConfig({ ...rest, ...treasury, NATIONAL_ID_KEY_FILE: file });
    expect(config.NATIONAL_ID_KEY).toBe(key);
  });

  it('when both NATIONAL_ID_KEY and NATIONAL_ID_KEY_FILE are set, then ConfigError says to give one', async () => {
    const file = await secretFile('k'.repeat(40));
    expect(configError({ NATIONAL_ID_KEY: 'k'.repeat(32), NATIONAL_ID_KEY_FILE: file }).issues).toEqual([
      'NATIONAL_ID_KEY_FILE: give NATIONAL_ID_KEY or NATIONAL_ID_KEY_FILE, not both',
    ]);
  });

  it('when NATIONAL_ID_KEY_FILE names no file, then ConfigError names the variable and the path, once even in production', () => {
    const missing = path.join(dir, 'not-mounted');
    const { NATIONAL_ID_KEY: _unset, ...rest } = production;
    expect(configError({ ...rest, ...treasury, NATIONAL_ID_KEY_FILE: missing }).issues).toEqual([`NATIONAL_ID_KEY_FILE: cannot read ${missing} (no such file)`]);
  });

  it('when the key in the file is too short, then ConfigError says so without printing the key', async () => {
    const file = await secretFile('short-key\n');
    const err = configError({ NATIONAL_ID_KEY_FILE: file });
    expect(err.issues).toEqual([`NATIONAL_ID_KEY_FILE: the key in ${file} must be at least 32 characters`]);
    expect(err.message).not.toContain('short-key');
  });
});

describe('AUTH_CLAIMS', () => {
  it('when unset, then the default claim names apply (role, learner_id, provider_id)', () => {
    expect(loadConfig({}).AUTH_CLAIMS).toBeUndefined();
    expect(loadConfig({ AUTH_CLAIMS: ' ' }).AUTH_CLAIMS).toBeUndefined();
  });

  it('when set, then names and nested paths are parsed, and names not given keep their defaults', () => {
    expect(loadConfig({ AUTH_CLAIMS: '{"role":["realm_access","roles"],"learnerId":"https://lc.example/learner_id"}' }).AUTH_CLAIMS).toEqual({
      role: ['realm_access', 'roles'],
      learnerId: 'https://lc.example/learner_id',
    });
  });

  it.each([
    ['not JSON', '{role:', /must be JSON/],
    ['an unknown key', '{"subject":"uid"}', /Unrecognized key/],
    ['an empty name', '{"role":""}', /./],
    ['an empty path', '{"role":[]}', /./],
    ['a number', '{"role":1}', /./],
  ])('when it is %s, then ConfigError names AUTH_CLAIMS', (_label, value, message) => {
    const err = configError({ AUTH_CLAIMS: value });
    expect(err.issues).toEqual([expect.stringMatching(/^AUTH_CLAIMS(\.\w+)?: /)]);
    expect(err.issues[0]).toMatch(message);
  });
});

describe('tokens of an identity provider, through AUTH_CLAIMS', () => {
  const issuer = 'https://idp.example/realms/lc';
  const audience = 'learning-credits-api';
  let key: SigningKey;
  beforeAll(async () => {
    key = await createSigningKey({ kid: 'idp-1', alg: 'ES256', issuer, audience });
  });
  const sign = (claims: Record<string, unknown>) => key.sign({ ...claims, sub: 'f3a1c2d4-idp-user' });
  const authenticatorFor = (env: NodeJS.ProcessEnv) => {
    const config = loadConfig(env);
    return createAuthenticator(createLocalJWKSet({ keys: [key.publicJwk] }), { issuer, audience, ...(config.AUTH_CLAIMS ? { claims: config.AUTH_CLAIMS } : {}) });
  };
  const keycloak = { AUTH_CLAIMS: '{"role":["realm_access","roles"],"learnerId":"lc_learner_id","providerId":"lc_provider_id"}' };

  it('when roles are a nested list beside other applications\' roles, then the one role of this service is taken with its learner id', async () => {
    const learnerId = randomUUID();
    const token = await sign({ realm_access: { roles: ['offline_access', 'citizen', 'uma_authorization'] }, lc_learner_id: learnerId });
    expect(await authenticatorFor(keycloak).authenticate(`Bearer ${token}`)).toEqual({ role: 'citizen', subject: 'f3a1c2d4-idp-user', learnerId });
  });

  it('when a provider token names its provider in the mapped claim, then the principal is that provider', async () => {
    const providerId = randomUUID();
    const token = await sign({ realm_access: { roles: ['provider'] }, lc_provider_id: providerId });
    expect(await authenticatorFor(keycloak).authenticate(`Bearer ${token}`)).toEqual({ role: 'provider', subject: 'f3a1c2d4-idp-user', providerId });
  });

  it.each([
    ['two of the service\'s roles', { realm_access: { roles: ['citizen', 'admin'] }, lc_learner_id: randomUUID() }],
    ['none of the service\'s roles', { realm_access: { roles: ['offline_access'] } }],
    ['the role only in the default claim', { role: 'admin' }],
    ['a citizen without the mapped learner claim', { realm_access: { roles: ['citizen'] }, learner_id: randomUUID() }],
  ])('when the token carries %s, then it is refused as carrying no valid role', async (_label, claims) => {
    const token = await sign(claims);
    const refused = await authenticatorFor(keycloak).authenticate(`Bearer ${token}`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).message).toMatch(/valid role/);
  });

  it('when AUTH_CLAIMS is unset, then the fixed claims role, learner_id and provider_id are read, as before', async () => {
    const learnerId = randomUUID();
    expect(await authenticatorFor({}).authenticate(`Bearer ${await sign({ role: 'citizen', learner_id: learnerId })}`)).toEqual({
      role: 'citizen', subject: 'f3a1c2d4-idp-user', learnerId,
    });
  });

  describe('the running service (startRuntime)', () => {
    const database = useTestDatabase();
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'lc-claims-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('when AUTH_CLAIMS is set, then the authenticator the service runs with reads the mapped claims', async () => {
      const jwksPath = path.join(dir, 'jwks.json');
      await key.writeJwks(jwksPath);
      const config = loadConfig({
        DATABASE_URL: database.url, DATA_DIR: dir, AUTH_JWKS: jwksPath, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience,
        NATIONAL_ID_KEY: 'k'.repeat(32), DB_POOL_SIZE: '2', ...keycloak,
      });
      const runtime = await startRuntime(config, createLogger('silent'));
      try {
        const token = await sign({ realm_access: { roles: ['finance'] } });
        expect(await runtime.authenticator.authenticate(`Bearer ${token}`)).toEqual({ role: 'finance', subject: 'f3a1c2d4-idp-user' });
      } finally {
        await runtime.close();
      }
    });
  });
});

describe('SCHEME_KEY_SECRET', () => {
  it('when unset in production, then ConfigError says it is required', () => {
    const { SCHEME_KEY_SECRET: _unset, ...rest } = production;
    expect(configError({ ...rest, ...treasury }).issues).toEqual([expect.stringMatching(/^SCHEME_KEY_SECRET: is required in production/)]);
  });

  it('when shorter than 32 characters, then ConfigError names it; unset outside production, it is undefined (a development secret is generated)', () => {
    expect(configError({ SCHEME_KEY_SECRET: 'short' }).issues).toEqual([expect.stringMatching(/^SCHEME_KEY_SECRET: must be at least 32 characters/)]);
    expect(loadConfig({}).SCHEME_KEY_SECRET).toBeUndefined();
  });
});
