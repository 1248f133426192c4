import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { learners } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { findLearner } from '../learners/learners.repo.js';
import {
  bandOf, currentProfile, effectiveThresholdRows, findThreshold, insertProfile, insertThresholdCorrection, insertThresholds, lockLearner, lockThresholdTable,
  thresholdRows, type EquityProfileRow, type ThresholdRow,
} from './equity.repo.js';
import type { EquityProfileView, equityProfileBody, thresholdTableBody } from './equity.schemas.js';
import type { z } from 'zod';

type Executor = Db | Tx;

const invalid = (path: string, message: string) => new AppError('validation_failed', 'the request is not valid', { errors: [{ path, message }] });

// ---- Threshold tables: published once per country and year, then fixed (profiles were assessed against them).

export function thresholdTables(rows: ThresholdRow[]) {
  const tables = new Map<string, { country: string; year: number; currency: string; groups: { code: string; band: ThresholdRow['band']; upperBound: string | null }[] }>();
  for (const r of rows) {
    const key = `${r.country}:${r.year}`;
    const t = tables.get(key) ?? { country: r.country, year: r.year, currency: r.currency, groups: [] };
    t.groups.push({ code: r.code, band: r.band, upperBound: r.upperBound === null ? null : r.upperBound.toString() });
    tables.set(key, t);
  }
  return [...tables.values()];
}

export async function listThresholdTables(db: Executor, filter: { country?: string | undefined; year?: number | undefined }) {
  return thresholdTables(await effectiveThresholdRows(db, filter));
}

/**
 * Corrects a published group's upper bound (a typo, a revised statistic),
 * append-only: the correction supersedes the bound in force, with its reason,
 * audited; the published row and every earlier correction stay. The bound
 * must stay between its neighbours' and the top group has none. Profiles
 * name their group, so none is reassessed.
 */
export async function correctThreshold(
  deps: ServiceDeps, db: Executor, key: { country: string; year: number; code: string }, body: { upperBound: bigint; reason: string }, acting: Acting,
) {
  return inTransaction(db, async (tx) => {
    await lockThresholdTable(tx, key.country, key.year);
    const rows = await effectiveThresholdRows(tx, { country: key.country, year: key.year });
    const i = rows.findIndex((r) => r.code === key.code);
    if (i < 0) throw notFound('income group');
    const current = rows[i]!;
    if (current.upperBound === null) throw invalid('body.upperBound', 'the top group has no upper bound to correct');
    const below = rows[i - 1]?.upperBound;
    const above = rows[i + 1]?.upperBound;
    if ((below != null && body.upperBound <= below) || (above != null && body.upperBound >= above)) {
      throw invalid('body.upperBound', `must stay above the group below (${below ?? 'none'}) and below the group above (${above ?? 'none'})`);
    }
    if (body.upperBound === current.upperBound) throw invalid('body.upperBound', 'is the bound in force already');
    const now = deps.clock.now();
    const id = newId();
    await insertThresholdCorrection(tx, {
      id, ...key, upperBound: body.upperBound, supersededUpperBound: current.upperBound, reason: body.reason, correctedAt: now, correctedBy: acting.actor.subject,
    });
    await recordAudit(tx, {
      ...acting, action: 'income_thresholds.corrected', entityType: 'income_group_thresholds', entityId: `${key.country}:${key.year}`, at: now,
      details: { correctionId: id, code: key.code, upperBound: body.upperBound.toString(), superseded: current.upperBound.toString(), reason: body.reason },
    });
    return {
      correction: { id, ...key, upperBound: body.upperBound.toString(), supersededUpperBound: current.upperBound.toString(), reason: body.reason, correctedAt: now.toISOString() },
      table: thresholdTables(await effectiveThresholdRows(tx, { country: key.country, year: key.year }))[0]!,
    };
  });
}

/**
 * Publishes a country's income group table for a year. A table once
 * published is fixed: the same table again answers 200 (nothing changes), a
 * different one is a 409.
 */
export async function publishThresholdTable(
  deps: ServiceDeps, db: Executor, country: string, year: number, body: z.output<typeof thresholdTableBody>, acting: Acting,
): Promise<{ created: boolean; table: ReturnType<typeof thresholdTables>[number] }> {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    const rows: ThresholdRow[] = body.groups.map((g, i) => ({
      country, year, code: g.code, band: g.band, currency: body.currency, upperBound: g.upperBound ?? null, position: i, createdAt: now,
    }));
    const existing = await thresholdRows(tx, { country, year });
    if (existing.length > 0) {
      const same = JSON.stringify(thresholdTables(existing)) === JSON.stringify(thresholdTables(rows));
      if (!same) throw new AppError('conflict', `the ${country} ${year} income group table is already published and cannot change`);
      return { created: false, table: thresholdTables(existing)[0]! };
    }
    await insertThresholds(tx, rows);
    await recordAudit(tx, {
      ...acting, action: 'income_thresholds.published', entityType: 'income_group_thresholds', entityId: `${country}:${year}`, at: now,
      details: { country, year, groups: body.groups.length },
    });
    return { created: true, table: thresholdTables(rows)[0]! };
  });
}

// ---- Equity profiles.

async function viewOf(db: Executor, learnerId: string, row: EquityProfileRow | undefined): Promise<EquityProfileView> {
  if (!row) return { learnerId, incomeGroup: null, region: null, urbanRural: null, gender: null, disability: null, recordedAt: null };
  const band = await bandOf(db, row);
  return {
    learnerId,
    incomeGroup: row.incomeGroup !== null && band !== null ? { country: row.incomeCountry!, year: row.incomeYear!, code: row.incomeGroup, band } : null,
    region: row.region, urbanRural: row.urbanRural, gender: row.gender, disability: row.disability,
    recordedAt: row.recordedAt.toISOString(),
  };
}

export async function getEquityProfile(db: Executor, learnerId: string): Promise<EquityProfileView> {
  if (!(await findLearner(db, learnerId))) throw notFound('learner');
  return viewOf(db, learnerId, await currentProfile(db, learnerId));
}

/**
 * Records a learner's equity profile (the whole of it: what is left out is
 * not stated). The income group is checked against the learner's country's
 * published table for the year given, and the learner's eligibility income
 * band follows it. The audit trail says the profile changed, never what it says.
 */
export async function setEquityProfile(
  deps: ServiceDeps, db: Executor, learnerId: string, body: z.output<typeof equityProfileBody>, acting: Acting,
): Promise<EquityProfileView> {
  return inTransaction(db, async (tx) => {
    await lockLearner(tx, learnerId);
    const learner = await findLearner(tx, learnerId);
    if (!learner) throw notFound('learner');
    const now = deps.clock.now();
    let threshold: ThresholdRow | undefined;
    if (body.incomeGroup) {
      threshold = await findThreshold(tx, learner.country, body.incomeGroup.year, body.incomeGroup.code);
      if (!threshold) {
        throw invalid('body.incomeGroup', `no income group ${body.incomeGroup.code} in the ${learner.country} ${body.incomeGroup.year} table; see GET /v1/income-group-thresholds`);
      }
    }
    const row: EquityProfileRow = {
      id: newId(), learnerId,
      incomeCountry: threshold ? learner.country : null, incomeYear: threshold ? threshold.year : null, incomeGroup: threshold ? threshold.code : null,
      region: body.region ?? null, urbanRural: body.urbanRural ?? null, gender: body.gender ?? null, disability: body.disability ?? null,
      recordedAt: now,
    };
    await insertProfile(tx, row);
    if (threshold && threshold.band !== learner.incomeGroup) await tx.update(learners).set({ incomeGroup: threshold.band }).where(eq(learners.id, learnerId));
    await recordAudit(tx, { ...acting, action: 'learner.equity_profile_changed', entityType: 'learner', entityId: learnerId, at: now });
    return viewOf(tx, learnerId, row);
  });
}
