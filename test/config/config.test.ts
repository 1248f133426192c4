import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

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
});
