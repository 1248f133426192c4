import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { defaultPolicy } from '../../src/modules/deps.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
    const err = configError({ NODE_ENV: 'production' });
    expect(err.issues).toEqual([expect.stringMatching(/^TREASURY_ACCOUNTS: is required in production/)]);
    expect(loadConfig({ NODE_ENV: 'production', ...accounts({ EUR: eur }) }).TREASURY_ACCOUNTS).toEqual({ EUR: eur });
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
