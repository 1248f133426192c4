import { beforeAll, describe, expect, it } from 'vitest';
import { runMaintenance } from '../../src/maintenance.js';
import { verifyAuditChain } from '../../src/modules/audit/audit.repo.js';
import { asCitizen } from '../support/catalogue.js';
import { releasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { financeApi, statementCsv, tenantWithApprovedClaim } from './world.js';

/**
 * After a full money cycle (allocate, grant, grant run, enrol, claim with a
 * partial amount, batch, settle, a returned payment, a withdrawal), the audit
 * chain verifies and every ledger transfer can be traced to an audit event on
 * its business object, written at the same instant (same transaction clock).
 */

const h = useHarness();

beforeAll(async () => {
  const finance = await h.token('finance', { sub: 'officer-audit' });
  const f = financeApi(h, finance);

  // Grant, enrol, claim approved (partial amount: the rest is released).
  const t = await tenantWithApprovedClaim(h, { fee: '30000', credit: '50000' });
  // A grant run (bulk grants) for the same scheme.
  const run = await t.world.api.post(`/v1/schemes/${t.world.scheme.id}/grant-runs`, { amount: '700', criteria: {} }, true);
  expect(run.status, run.text).toBeLessThan(300);
  await runMaintenance(h.deps);
  // A second enrolment that the learner cancels: reservation then release.
  const runId = await t.world.run('1000', { startsInDays: 20 });
  const learner = await t.world.learnerWithCredit('5000');
  const enrol = await asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: runId });
  expect(enrol.status, enrol.text).toBe(201);
  const cancel = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${enrol.body.id}/cancel`, {});
  expect(cancel.status, cancel.text).toBeLessThan(300);

  // Batch, settle, then a second claim whose payment the bank returns.
  const batch = await releasedBatch(h, { currency: 'SGD' });
  const line = batch.lines[0]!;
  const settle = await f.statement(statementCsv([[line.endToEndId, (Number(line.amount) / 100).toFixed(2), 'SGD', 'DBIT', 'payment']]));
  expect(settle.body).toMatchObject({ settled: 1 });

  const t2 = await tenantWithApprovedClaim(h, { fee: '12000', credit: '20000' });
  const batch2 = await releasedBatch(h, { currency: 'SGD' });
  const line2 = batch2.lines.find((l: { providerId: string }) => l.providerId === t2.world.providerId)!;
  const returned = await f.statement(statementCsv([[line2.endToEndId, (Number(line2.amount) / 100).toFixed(2), 'SGD', 'CRDT', 'return']]));
  expect(returned.body).toMatchObject({ returned: 1 });
});

interface Transfer {
  id: string;
  kind: string;
  code: string;
  reference_id: string | null;
  credit_account_id: string;
  pending_id: string | null;
  amount: string;
  created_at: Date;
}

/** The business objects (entity type, id, action pattern) whose audit event must cover a transfer. */
async function coveringEvents(t: Transfer): Promise<{ entityType: string; entityIds: string[]; action: RegExp } | undefined> {
  const q = async (text: string, values: unknown[]) => (await h.database.pool.query(text, values)).rows.map((r) => String(r.id));
  switch (t.code) {
    case 'allocation':
      return { entityType: 'scheme', entityIds: [t.reference_id!], action: /^scheme\.budget_allocated$/ };
    case 'grant': {
      const g = (await h.database.pool.query(`select id, grant_run_id from grants where id = $1 or id = $2`, [t.reference_id, t.credit_account_id])).rows[0];
      if (!g) return { entityType: 'grant', entityIds: [t.reference_id ?? t.credit_account_id], action: /^grant\.created$/ };
      return g.grant_run_id
        ? { entityType: 'grant_run', entityIds: [g.grant_run_id], action: /^grant_run\.(batch_granted|created)$/ }
        : { entityType: 'grant', entityIds: [g.id], action: /^grant\.created$/ };
    }
    case 'reservation':
      return { entityType: 'enrolment', entityIds: [t.reference_id!], action: /^enrolment\.(consented|self_enrolled)$/ };
    case 'reservation_release': {
      // Released by the claim (the unclaimed rest) or by the enrolment ending.
      const claims = await q(`select id from claims where enrolment_id = $1`, [t.reference_id]);
      return { entityType: claims.length ? '(claim|enrolment)' : 'enrolment', entityIds: [t.reference_id!, ...claims], action: /^(claim\.(approved|decision_approve)|enrolment\.\w+)$/ };
    }
    case 'claim_payment':
      return { entityType: 'claim', entityIds: await q(`select id from claims where enrolment_id = $1`, [t.reference_id]), action: /^claim\.(approved|decision_approve)$/ };
    case 'disbursement':
      return { entityType: 'disbursement_batch', entityIds: await q(`select batch_id id from payment_lines where id = $1`, [t.reference_id]), action: /^disbursement_batch\.released$/ };
    case 'disbursement_settled':
    case 'disbursement_returned': {
      const ref = t.reference_id ?? (await q(`select reference_id id from ledger_transfers where id = $1`, [t.pending_id]))[0];
      return { entityType: 'bank_statement', entityIds: await q(`select distinct statement_id id from statement_lines where payment_line_id = $1`, [ref]), action: /^bank_statement\.imported$/ };
    }
    default:
      return undefined;
  }
}

describe('audit coverage after a full money cycle', () => {
  it('when the cycle has run, then the audit hash chain verifies', async () => {
    expect(await verifyAuditChain(h.database.db)).toEqual([]);
  });

  it('when money moved, then every ledger transfer has an audit event on its business object at the same instant', async () => {
    const transfers = (
      await h.database.pool.query<Transfer>(
        `select id, kind, code, reference_id, credit_account_id, pending_id, amount::text, created_at from ledger_transfers order by created_at, id`,
      )
    ).rows;
    const codes = new Set(transfers.map((t) => t.code));
    // The cycle must have exercised every kind of movement this check knows about.
    for (const c of ['allocation', 'grant', 'reservation', 'reservation_release', 'claim_payment', 'disbursement', 'disbursement_settled', 'disbursement_returned']) {
      expect([...codes], `no ${c} transfer in the cycle`).toContain(c);
    }
    const gaps: string[] = [];
    for (const t of transfers) {
      const cover = await coveringEvents(t);
      if (!cover) {
        gaps.push(`transfer ${t.id} code=${t.code} kind=${t.kind}: no known business object for this code`);
        continue;
      }
      const events = (
        await h.database.pool.query<{ action: string; entity_type: string; entity_id: string }>(
          `select action, entity_type, entity_id from audit_events
            where entity_id = any($1::text[]) and entity_type ~ $2
              and occurred_at between $3::timestamptz - interval '1 minute' and $3::timestamptz + interval '1 minute'`,
          [cover.entityIds, `^${cover.entityType}$`, t.created_at],
        )
      ).rows.filter((e) => cover.action.test(e.action));
      if (events.length === 0) {
        gaps.push(`transfer ${t.id} code=${t.code} kind=${t.kind} amount=${t.amount} ref=${t.reference_id} at ${t.created_at.toISOString()}: ` +
          `no ${cover.action} event on ${cover.entityType} ${cover.entityIds.join(',') || '(none found)'}`);
      }
    }
    console.log(`audit-coverage: ${transfers.length} transfers checked, codes ${[...codes].join(', ')}; ${gaps.length} without an audit event`);
    expect(gaps, gaps.join('\n')).toEqual([]);
  });
});
