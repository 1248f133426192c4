import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { createLogger } from '../../src/lib/logger.js';
import { runMaintenance } from '../../src/maintenance.js';
import { eraseLearnersPastRetention } from '../../src/modules/data-rights/erasure.service.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { distinctivePerson } from './journey.js';

const h = useHarness();
const DAY = 86_400_000;
const RETENTION_DAYS = 2555;

const erasedAt = async (id: string) => (await h.database.pool.query(`select erased_at from learners where id = $1`, [id])).rows[0].erased_at as Date | null;

describe('the retention task (erase_past_retention in runMaintenance)', () => {
  it('when learners pass the retention period after their last activity, then only those are erased, with counts logged and no one named', async () => {
    const world = await catalogue(h);
    const api = world.api;
    const quiet = await api.learner(distinctivePerson());
    const expiring = await world.learnerWithCredit('0', distinctivePerson());
    const expiresAt = new Date(h.clock.now().getTime() + 30 * DAY).toISOString();
    expect((await api.grant(expiring.id, { schemeId: world.scheme.id, amount: '10000', expiresAt })).status).toBe(201);
    // Credit without an expiry is live for ever: that learner is kept, however long they are quiet.
    const holding = await world.learnerWithCredit('10000', distinctivePerson());
    const reactivated = await api.learner(distinctivePerson());

    h.clock.advance((RETENTION_DAYS - 1) * DAY);
    const early = await runMaintenance(h.deps);
    expect(early.failures).toEqual([]);
    expect(early.learnersErased).toBe(0);
    expect(await erasedAt(quiet.id)).toBeNull();
    // The expiring grant was closed by the sweep: it no longer keeps its learner's data.
    expect(early.grantsClosed).toBeGreaterThanOrEqual(1);

    // Active just before the period ends: registered now, so their period starts now.
    const fresh = await api.learner(distinctivePerson());
    // Registered long ago, but given a grant now (which then expires): the grant is their last activity.
    const soon = new Date(h.clock.now().getTime() + DAY).toISOString();
    expect((await api.grant(reactivated.id, { schemeId: world.scheme.id, amount: '1000', expiresAt: soon })).status).toBe(201);

    h.clock.advance(2 * DAY);
    // Retention off (0 days): nothing is erased.
    expect(await eraseLearnersPastRetention({ ...h.deps, policy: { ...h.deps.policy, retentionDaysAfterLastActivity: 0 } })).toEqual({ erased: 0 });
    expect(await erasedAt(quiet.id)).toBeNull();

    const logs = captureLogs();
    const logger = createLogger('info', logs.sink);
    const done = await runMaintenance({ ...h.deps, logger });
    expect(done.failures).toEqual([]);
    expect(done.learnersErased).toBe(2);
    expect(await erasedAt(quiet.id)).toEqual(h.clock.now());
    expect(await erasedAt(expiring.id)).toEqual(h.clock.now());
    for (const kept of [holding, fresh, reactivated]) expect(await erasedAt(kept.id)).toBeNull();

    const line = logs.lines.find((l) => l.erased !== undefined);
    expect(line).toMatchObject({ erased: 2, retentionDays: RETENTION_DAYS });
    for (const id of [quiet.id, expiring.id]) expect(logs.raw.join('\n')).not.toContain(id);
    const audit = await h.database.pool.query(`select actor_id, actor_role, details from audit_events where action = 'learner.erased' order by entity_id`);
    expect(audit.rows).toEqual([
      { actor_id: 'system:retention', actor_role: 'system', details: { basis: 'retention' } },
      { actor_id: 'system:retention', actor_role: 'system', details: { basis: 'retention' } },
    ]);

    // A second run finds nothing more to do.
    expect((await runMaintenance(h.deps)).learnersErased).toBe(0);
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });
});
