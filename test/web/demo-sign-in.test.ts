import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { demoSignInUsers } from '../../src/seed/demo-sign-in.js';
import { seedDemoData } from '../../src/seed/demo.js';
import { defaultSignInClaimNames, principalFromClaims } from '../../src/web/auth/claims.js';
import { developmentKeySealer } from '../../src/lib/key-sealer.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('the demo identity provider\'s users', () => {
  it('when the demo is seeded, then every demo citizen and provider signs in as the learner or provider the seed made, with two finance officers, an admin and two service-counter officers', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-demo-sign-in-'));
    dirs.push(dataDir);
    await seedDemoData({
      database: h.database, ledger: h.ledger, clock: h.clock, metrics: createMetrics(), nationalIds: h.deps.nationalIds, keySealer: developmentKeySealer(),
      authenticator: { authenticate: async () => { throw new Error('not used'); } }, databaseUrl: 'test', close: async () => {},
      logger: createLogger('silent'), dataDir,
    });
    const users = await demoSignInUsers(h.database.db, h.clock.now());
    const citizens = users.filter((u) => u.claims.role === 'citizen');
    const providers = users.filter((u) => u.claims.role === 'provider');
    expect(citizens.length).toBe(6);
    expect(providers.length).toBe(3);
    expect(users.filter((u) => u.claims.role === 'finance').length).toBe(2);
    expect(users.some((u) => u.claims.role === 'admin')).toBe(true);
    const officers = users.filter((u) => u.claims.role === 'counter');
    expect(officers.length).toBe(2);
    for (const o of officers) {
      expect(await principalFromClaims(h.deps, h.database.db, { sub: o.id, ...o.claims }, defaultSignInClaimNames)).toEqual({ role: 'counter', subject: `oidc:${o.id}` });
    }
    const learnerIds = new Set<string>();
    for (const user of [...citizens, ...providers]) {
      const p = await principalFromClaims(h.deps, h.database.db, { sub: user.id, ...user.claims }, defaultSignInClaimNames);
      expect(p.role).toBe(user.claims.role);
      if (p.role === 'citizen') learnerIds.add(p.learnerId);
    }
    expect(learnerIds.size).toBe(6);
    // The login form names people by role and name, never by national id.
    for (const u of citizens) expect(u.label).not.toContain(u.claims.national_id!);
  });
});
