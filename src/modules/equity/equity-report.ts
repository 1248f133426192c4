import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/app-error.js';
import { equityCells, type EquityDimension } from './equity-report.repo.js';

/** Fewer learners than this in a cell, and the cell is not published. */
export const MIN_CELL_LEARNERS = 10;

export interface CellFigures {
  learners: number;
  enrolled: number;
  completed: number;
  /** null while the service does not record pathway completions. */
  stacked: number | null;
  creditUsed: bigint;
  coPay: bigint;
  enrolments: number;
}

export interface PublishedFigures {
  suppressed: boolean;
  learnersGranted: number | null;
  enrolledShareBps: number | null;
  completedShareBps: number | null;
  stackedPathwayShareBps: number | null;
  creditUsed: string | null;
  averageCoPayment: string | null;
}

/**
 * Which cells of one scheme's breakdown are withheld, so that no cell under
 * MIN_CELL_LEARNERS can be read or worked out from the others and the total:
 * 1. every cell with 1 to MIN_CELL_LEARNERS − 1 learners (primary);
 * 2. while exactly one cell is withheld, or the withheld cells together hold
 *    fewer than MIN_CELL_LEARNERS learners, the smallest published cell is
 *    withheld too (complementary; ties by group name), so the total less the
 *    published cells never gives a small cell or a small sum of them.
 * The total is published unless it is itself under MIN_CELL_LEARNERS.
 */
export function withheldGroups(cells: { group: string; learners: number }[], min = MIN_CELL_LEARNERS): Set<string> {
  const withheld = new Set(cells.filter((c) => c.learners > 0 && c.learners < min).map((c) => c.group));
  const sumWithheld = () => cells.filter((c) => withheld.has(c.group)).reduce((s, c) => s + c.learners, 0);
  const rest = () => cells.filter((c) => !withheld.has(c.group)).sort((a, b) => a.learners - b.learners || (a.group < b.group ? -1 : 1));
  while (withheld.size > 0 && (withheld.size === 1 || sumWithheld() < min) && rest().length > 0) withheld.add(rest()[0]!.group);
  return withheld;
}

/** k of n in basis points, rounded half up. */
export const shareBps = (k: number, n: number): number => Math.floor((k * 20_000 + n) / (2 * n));

const averageOf = (sum: bigint, n: number): bigint => (2n * sum + BigInt(n)) / (2n * BigInt(n));

export function published(f: CellFigures, suppressed: boolean): PublishedFigures {
  if (suppressed) {
    return { suppressed, learnersGranted: null, enrolledShareBps: null, completedShareBps: null, stackedPathwayShareBps: null, creditUsed: null, averageCoPayment: null };
  }
  const n = f.learners;
  return {
    suppressed,
    learnersGranted: n,
    enrolledShareBps: n === 0 ? null : shareBps(f.enrolled, n),
    completedShareBps: n === 0 ? null : shareBps(f.completed, n),
    stackedPathwayShareBps: n === 0 || f.stacked === null ? null : shareBps(f.stacked, n),
    creditUsed: f.creditUsed.toString(),
    averageCoPayment: f.enrolments === 0 ? null : averageOf(f.coPay, f.enrolments).toString(),
  };
}

export interface EquitySchemeReport {
  schemeId: string; code: string; name: string; currency: string;
  groups: ({ group: string } & PublishedFigures)[];
  total: PublishedFigures;
}

/** The equity report of each scheme (or one) as of asOf, grouped by one dimension, small cells withheld. */
export async function equityReport(db: Db | Tx, asOf: string, dimension: EquityDimension, schemeId?: string): Promise<EquitySchemeReport[]> {
  const rows = await equityCells(db, asOf, dimension, schemeId);
  if (schemeId !== undefined && rows.length === 0) throw notFound('scheme');
  const bySchemes = new Map<string, typeof rows>();
  for (const r of rows) bySchemes.set(r.scheme_id, [...(bySchemes.get(r.scheme_id) ?? []), r]);
  return [...bySchemes.values()].map((schemeRows) => {
    const first = schemeRows[0]!;
    const cells = schemeRows.filter((r) => r.grp !== null).map((r) => ({
      group: r.grp!,
      figures: {
        learners: r.learners, enrolled: r.enrolled, completed: r.completed, stacked: r.stacked,
        creditUsed: BigInt(r.credit_used), coPay: BigInt(r.co_pay), enrolments: r.enrolments,
      } satisfies CellFigures,
    }));
    const withheld = withheldGroups(cells.map((c) => ({ group: c.group, learners: c.figures.learners })));
    const total = cells.reduce<CellFigures>(
      (t, c) => ({
        learners: t.learners + c.figures.learners, enrolled: t.enrolled + c.figures.enrolled, completed: t.completed + c.figures.completed,
        stacked: t.stacked === null || c.figures.stacked === null ? null : t.stacked + c.figures.stacked,
        creditUsed: t.creditUsed + c.figures.creditUsed, coPay: t.coPay + c.figures.coPay, enrolments: t.enrolments + c.figures.enrolments,
      }),
      { learners: 0, enrolled: 0, completed: 0, stacked: cells.length === 0 ? null : 0, creditUsed: 0n, coPay: 0n, enrolments: 0 },
    );
    return {
      schemeId: first.scheme_id, code: first.code, name: first.name, currency: first.currency,
      groups: cells.map((c) => ({ group: c.group, ...published(c.figures, withheld.has(c.group)) })),
      total: published(total, total.learners > 0 && total.learners < MIN_CELL_LEARNERS),
    };
  });
}

/** The equity report's CSV: one row per group, then a TOTAL row per scheme. The API and the finance console send the same file. */
export const equityCsvColumns = [
  'scheme_id', 'scheme_code', 'currency', 'group_by', 'group', 'suppressed', 'learners_granted', 'enrolled_share_bps', 'completed_share_bps',
  'stacked_pathway_share_bps', 'credit_used', 'average_co_payment', 'as_of',
] as const;

export const equityCsvRows = (schemes: EquitySchemeReport[], groupBy: EquityDimension, asOf: string) =>
  schemes.flatMap((s) => [...s.groups, { group: 'TOTAL', ...s.total }].map((g) => [
    s.schemeId, s.code, s.currency, groupBy, g.group, g.suppressed, g.learnersGranted, g.enrolledShareBps, g.completedShareBps,
    g.stackedPathwayShareBps, g.creditUsed, g.averageCoPayment, asOf,
  ]));
