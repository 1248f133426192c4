import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const production = {
  NODE_ENV: 'production', AUTH_JWKS: 'https://idp.example/.well-known/jwks.json', NATIONAL_ID_KEY: 'k'.repeat(32), SCHEME_KEY_SECRET: 's'.repeat(32),
  TREASURY_ACCOUNTS: JSON.stringify({ SGD: { name: 'Learning Credits Treasury SG', accountNumber: '0720123456', bic: 'DBSSSGSGXXX' } }),
} as const;

function issues(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  return [];
}

describe('the worker and webhook settings', () => {
  it('when nothing is set, then the worker runs in this process, relays every second, and local webhook endpoints are refused', () => {
    expect(loadConfig({})).toMatchObject({ WORKER_ENABLED: true, WORKER_RELAY_INTERVAL_MS: 1000, WEBHOOKS_ALLOW_LOCAL: false });
    expect(loadConfig({ WORKER_ENABLED: 'false', WORKER_RELAY_INTERVAL_MS: '250' })).toMatchObject({ WORKER_ENABLED: false, WORKER_RELAY_INTERVAL_MS: 250 });
  });

  it('when WEBHOOKS_ALLOW_LOCAL is true outside production, then it is accepted; in production the service refuses to start', () => {
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOKS_ALLOW_LOCAL: 'true' }).WEBHOOKS_ALLOW_LOCAL).toBe(true);
    expect(issues({ ...production })).toEqual([]);
    expect(issues({ ...production, WEBHOOKS_ALLOW_LOCAL: 'true' })).toEqual([expect.stringMatching(/^WEBHOOKS_ALLOW_LOCAL: must not be true in production/)]);
  });

  it('when a value is malformed, then ConfigError names the variable', () => {
    expect(issues({ WEBHOOKS_ALLOW_LOCAL: 'yes' })).toEqual([expect.stringMatching(/^WEBHOOKS_ALLOW_LOCAL: /)]);
    expect(issues({ WORKER_ENABLED: '1' })).toEqual([expect.stringMatching(/^WORKER_ENABLED: /)]);
    expect(issues({ WORKER_RELAY_INTERVAL_MS: '' })).toEqual([expect.stringMatching(/^WORKER_RELAY_INTERVAL_MS: /)]);
    expect(issues({ WORKER_RELAY_INTERVAL_MS: '5' })).toEqual([expect.stringMatching(/^WORKER_RELAY_INTERVAL_MS: /)]);
  });
});
