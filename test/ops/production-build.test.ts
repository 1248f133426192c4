import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { useTestDatabase } from '../support/db.js';
import { createSigningKey } from '../support/signing-key.js';
import { repoRoot, run } from './cli-support.js';
import { startService, type ServiceProcess } from './service-process.js';

/**
 * `npm run build` compiles src/ to dist/ with tsc, and the result runs with
 * node alone (no tsx) in production, from another working folder, against a
 * real database whose migrations it applies from drizzle/.
 */

const database = useTestDatabase({ poolSize: 2 });
let dir: string;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lc-ops-build-'));
});
afterAll(async () => {
  if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('npm run build, then NODE_ENV=production node dist/server.js', () => {
  it('when built, then dist/ holds server.js and the CLIs as JavaScript, and it serves /healthz, /readyz and the API with node alone', async () => {
    const build = await run('npm', ['run', '-s', 'build'], process.env, 240_000);
    expect(build.code, build.stdout + build.stderr).toBe(0);
    expect(existsSync(path.join(repoRoot, 'dist/server.js'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'dist/cli/bank-statement.js'))).toBe(true);
    expect(readdirSync(path.join(repoRoot, 'dist')).filter((f) => f.endsWith('.ts'))).toEqual([]);

    const key = await createSigningKey({ kid: 'prod', issuer: 'lc-prod-test' });
    const jwksPath = path.join(dir, 'jwks.json');
    await key.writeJwks(jwksPath);
    const port = await freePort();
    service = startService(
      [path.join(repoRoot, 'dist/server.js')],
      {
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        AUTH_JWKS: jwksPath,
        AUTH_ISSUER: 'lc-prod-test',
        NATIONAL_ID_KEY: randomBytes(32).toString('hex'),
        SCHEME_KEY_SECRET: randomBytes(32).toString('hex'),
        TREASURY_ACCOUNTS: JSON.stringify({ SGD: { name: 'Learning Credits Treasury SG', accountNumber: '0720123456', bic: 'DBSSSGSGXXX' } }),
        DATA_DIR: path.join(dir, 'data'),
        SWEEP_INTERVAL_MS: '0',
        LOG_LEVEL: 'warn',
      },
      port,
      dir, // not the project folder: runtime paths (migrations) resolve from dist/
    );
    expect(service.child.spawnargs.join(' ')).not.toContain('tsx');
    await service.healthy(60_000);

    const ready = await fetch(`${service.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', migrations: 'current' });
    const token = await key.token('admin', { sub: 'admin-prod' });
    const schemes = await fetch(`${service.base}/v1/schemes`, { headers: { authorization: `Bearer ${token}` } });
    expect(schemes.status, await schemes.clone().text()).toBe(200);
    // The portal's front page from dist/ (its stylesheet built from the SGDS package, its catalogues compiled).
    const root = await fetch(`${service.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(200);
    const css = /href="(\/assets\/site\.[0-9a-f]{12}\.css)"/.exec(await root.text())?.[1];
    expect((await fetch(`${service.base}${css}`)).status).toBe(200);

    service.child.kill('SIGTERM');
    expect(await service.exited()).toBe(0);
  }, 300_000);
});
