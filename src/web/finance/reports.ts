import { csvLine } from '../../lib/csv.js';
import { DAY_MS } from '../../lib/dates.js';
import { equityDimensions, type EquityDimension } from '../../modules/equity/equity-report.repo.js';
import { equityCsvColumns, equityCsvRows, MIN_CELL_LEARNERS, type PublishedFigures } from '../../modules/equity/equity-report.js';
import { publishedEquityReport } from '../../modules/equity/published-equity-report.js';
import { collect, schemeColumns, schemeCsvRow, schemeReport, type SchemeFigures } from '../../modules/reports/reports.service.js';
import { allSchemes } from '../../modules/schemes/schemes.service.js';
import { html, type Html } from '../html.js';
import { languages, timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { lineChart } from './chart.js';

/** How many instants the chart shows, from the scheme's creation to now. */
const CHART_POINTS = 8;

/** The five stages credit goes through, in order, as the chart and its table show them. */
const stages = [
  { key: 'fin.schemes.allocated', className: 's1', of: (f: SchemeFigures) => f.allocated },
  { key: 'fin.schemes.granted', className: 's2', of: (f: SchemeFigures) => f.granted },
  { key: 'fin.schemes.reserved', className: 's3', of: (f: SchemeFigures) => f.reserved },
  { key: 'fin.schemes.spent', className: 's4', of: (f: SchemeFigures) => f.spent },
  { key: 'fin.schemes.disbursed', className: 's5', of: (f: SchemeFigures) => f.spentDisbursed },
] as const satisfies readonly { key: MessageKey; className: string; of: (f: SchemeFigures) => string }[];

export const dimensionKeys: Record<`fin.dim.${EquityDimension}`, true> = {
  'fin.dim.incomeGroup': true, 'fin.dim.region': true, 'fin.dim.urbanRural': true, 'fin.dim.ageBand': true, 'fin.dim.gender': true, 'fin.dim.disability': true,
};
const isDimension = (v: unknown): v is EquityDimension => typeof v === 'string' && (equityDimensions as readonly string[]).includes(v);

const csvFile = (name: string, header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): PageReply => ({
  raw: [header, ...rows].map(csvLine).join(''), type: 'text/csv; charset=utf-8', headers: { 'Content-Disposition': `attachment; filename="${name}"` },
});
const stamp = (asOf: string) => asOf.replace(/[:.]/g, '-');
const cmp = (a: bigint, b: bigint) => (a > b ? 1 : a < b ? -1 : 0);

export function reportPages(deps: WebDeps): PageSpec[] {
  const db = deps.services.database.db;

  async function schemesPage(ctx: PageContext): Promise<PageReply> {
    const { t, fmt } = ctx;
    const now = deps.clock.now();
    const asOf = now.toISOString();
    const [schemes, figures] = await Promise.all([allSchemes(db), collect(schemeReport(db, asOf))]);
    const wanted = typeof ctx.req.query.scheme === 'string' ? ctx.req.query.scheme : undefined;
    // By default the scheme where most has happened: the most spent, then the most granted.
    const busiest = [...figures].sort((a, b) => cmp(BigInt(b.spent), BigInt(a.spent)) || cmp(BigInt(b.granted), BigInt(a.granted)))[0];
    const scheme = schemes.find((s) => s.id === wanted) ?? schemes.find((s) => s.id === busiest?.schemeId) ?? schemes[0];

    let chart: Html | string = '';
    if (scheme) {
      const zone = timeZoneOfCurrency(scheme.currency);
      const from = scheme.createdAt.getTime();
      const instants = Array.from({ length: CHART_POINTS }, (_, i) => new Date(from + ((now.getTime() - from) * i) / (CHART_POINTS - 1)));
      // Each point is the report as of that instant, from the ledger's transfers alone: the same figures the API gives for asOf.
      const points = await Promise.all(instants.map(async (at) => (await collect(schemeReport(db, at.toISOString()))).find((f) => f.schemeId === scheme.id)));
      // A scheme younger than two days is charted by the hour, so its points are told apart.
      const byHour = now.getTime() - from < 2 * DAY_MS;
      const when = new Intl.DateTimeFormat(languages[ctx.lang].locale, { dateStyle: 'medium', ...(byHour ? { timeStyle: 'short' } : {}), timeZone: zone });
      const labels = instants.map((at) => when.format(at));
      const value = (f: SchemeFigures | undefined, of: (f: SchemeFigures) => string) => (f ? BigInt(of(f)) : 0n);
      chart = html`<h2>${t('fin.schemes.overTime', { scheme: scheme.name })}</h2>
${lineChart({
    id: 'scheme-chart', title: t('fin.schemes.chartTitle', { scheme: scheme.name }), description: t('fin.schemes.chartDesc'), xLabels: labels,
    series: stages.map((s) => ({ className: s.className, label: t(s.key), values: points.map((p) => value(p, s.of)) })),
  })}
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="chart-table-caption"><table class="stack-table">
<caption id="chart-table-caption">${t('fin.schemes.chartTable', { scheme: scheme.name })}</caption>
<thead><tr><th scope="col">${t('fin.schemes.asOf')}</th>${stages.map((s) => html`<th scope="col" class="amount">${t(s.key)}</th>`)}</tr></thead>
<tbody>${points.map((p, i) => html`<tr><th scope="row" data-label="${t('fin.schemes.asOf')}">${labels[i]!}</th>${stages.map((s) => html`<td data-label="${t(s.key)}" class="amount">${fmt.money(value(p, s.of), scheme.currency)}</td>`)}</tr>`)}</tbody>
</table></div>`;
    }

    return {
      title: t('fin.schemes.title'),
      body: html`<h1>${t('fin.schemes.title')}</h1>
<p class="lead">${t('fin.schemes.lead')}</p>
<form method="get" action="/finance/reports/schemes" class="search">
<div class="field"><label for="scheme">${t('fin.schemes.choose')}</label>
<select id="scheme" name="scheme">${schemes.map((s) => html`<option value="${s.id}"${s.id === scheme?.id ? html` selected` : ''}>${s.name} (${s.currency})</option>`)}</select></div>
<div class="field"><button type="submit">${t('fin.schemes.show')}</button></div>
</form>
${chart}
<h2>${t('fin.schemes.now')}</h2>
<p><a href="/finance/reports/schemes.csv" download>${t('fin.schemes.csv')}</a></p>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="schemes-caption"><table class="stack-table">
<caption id="schemes-caption">${t('fin.schemes.caption', { date: fmt.date(now) })}</caption>
<thead><tr><th scope="col">${t('fin.schemes.scheme')}</th>${stages.map((s) => html`<th scope="col" class="amount">${t(s.key)}</th>`)}<th scope="col">${t('fin.schemes.tiesOut')}</th></tr></thead>
<tbody>${figures.map((f) => html`<tr><th scope="row" data-label="${t('fin.schemes.scheme')}">${f.name}</th>
${stages.map((s) => html`<td data-label="${t(s.key)}" class="amount">${fmt.money(BigInt(s.of(f)), f.currency)}</td>`)}
<td data-label="${t('fin.schemes.tiesOut')}">${t(f.tiesOut ? 'fin.schemes.yes' : 'fin.schemes.no')}</td></tr>`)}</tbody>
</table></div>`,
    };
  }

  async function equityPage(ctx: PageContext): Promise<PageReply> {
    const { t, fmt } = ctx;
    const groupBy: EquityDimension = isDimension(ctx.req.query.groupBy) ? ctx.req.query.groupBy : 'incomeGroup';
    const { schemes, period } = await publishedEquityReport(deps.services, db, deps.clock.now().toISOString(), groupBy);
    const percent = new Intl.NumberFormat(languages[ctx.lang].locale, { style: 'percent', maximumFractionDigits: 1 });
    const share = (bps: number | null) => (bps === null ? '—' : percent.format(bps / 10_000));
    const groupName = (g: string) => (g === 'not_stated' ? t('fin.equity.notStated') : g === 'yes' ? t('fin.schemes.yes') : g === 'no' ? t('fin.schemes.no') : g);
    const cells = (f: PublishedFigures, currency: string, head: Html) => f.suppressed
      ? html`<tr>${head}<td colspan="6" data-label="${t('fin.equity.learners')}"><span class="tag">${t('fin.equity.suppressed')}</span></td></tr>`
      : html`<tr>${head}
<td data-label="${t('fin.equity.learners')}" class="amount">${f.learnersGranted ?? '—'}</td>
<td data-label="${t('fin.equity.enrolled')}" class="amount">${share(f.enrolledShareBps)}</td>
<td data-label="${t('fin.equity.completed')}" class="amount">${share(f.completedShareBps)}</td>
<td data-label="${t('fin.equity.stacked')}" class="amount">${share(f.stackedPathwayShareBps)}</td>
<td data-label="${t('fin.equity.creditUsed')}" class="amount">${f.creditUsed === null ? '—' : fmt.money(BigInt(f.creditUsed), currency)}</td>
<td data-label="${t('fin.equity.coPay')}" class="amount">${f.averageCoPayment === null ? '—' : fmt.money(BigInt(f.averageCoPayment), currency)}</td></tr>`;
    return {
      title: t('fin.equity.title'),
      body: html`<h1>${t('fin.equity.title')}</h1>
<p class="lead">${t('fin.equity.lead', { min: MIN_CELL_LEARNERS })}</p>
<p>${t('fin.equity.period', { start: fmt.date(period.start, 'UTC'), end: fmt.date(period.end, 'UTC') })}</p>
<form method="get" action="/finance/reports/equity" class="search">
<div class="field"><label for="groupBy">${t('fin.equity.groupBy')}</label>
<select id="groupBy" name="groupBy">${equityDimensions.map((d) => html`<option value="${d}"${d === groupBy ? html` selected` : ''}>${t(`fin.dim.${d}`)}</option>`)}</select></div>
<div class="field"><button type="submit">${t('fin.schemes.show')}</button></div>
</form>
<p><a href="/finance/reports/equity.csv?groupBy=${groupBy}" download>${t('fin.equity.csv')}</a></p>
${schemes.length === 0 ? html`<p>${t('fin.equity.none')}</p>` : schemes.map((s, k) => html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="equity-${k}"><table class="stack-table">
<caption id="equity-${k}">${t('fin.equity.caption', { scheme: s.name, dimension: t(`fin.dim.${groupBy}`) })}</caption>
<thead><tr><th scope="col">${t(`fin.dim.${groupBy}`)}</th><th scope="col" class="amount">${t('fin.equity.learners')}</th><th scope="col" class="amount">${t('fin.equity.enrolled')}</th>
<th scope="col" class="amount">${t('fin.equity.completed')}</th><th scope="col" class="amount">${t('fin.equity.stacked')}</th><th scope="col" class="amount">${t('fin.equity.creditUsed')}</th>
<th scope="col" class="amount">${t('fin.equity.coPay')}</th></tr></thead>
<tbody>${s.groups.map((g) => cells(g, s.currency, html`<th scope="row" data-label="${t(`fin.dim.${groupBy}`)}">${groupName(g.group)}</th>`))}
${cells(s.total, s.currency, html`<th scope="row" data-label="${t(`fin.dim.${groupBy}`)}">${t('fin.equity.total')}</th>`)}</tbody>
</table></div>`)}`,
    };
  }

  return [
    definePage({ method: 'get', path: '/finance/reports/schemes', roles: ['finance'], handler: schemesPage }),
    definePage({
      method: 'get', path: '/finance/reports/schemes.csv', roles: ['finance'],
      async handler() {
        const asOf = deps.clock.now().toISOString();
        return csvFile(`schemes-${stamp(asOf)}.csv`, schemeColumns, (await collect(schemeReport(db, asOf))).map((f) => schemeCsvRow(f, asOf)));
      },
    }),
    definePage({ method: 'get', path: '/finance/reports/equity', roles: ['finance'], handler: equityPage }),
    definePage({
      method: 'get', path: '/finance/reports/equity.csv', roles: ['finance'],
      async handler(ctx) {
        const groupBy: EquityDimension = isDimension(ctx.req.query.groupBy) ? ctx.req.query.groupBy : 'incomeGroup';
        const { asOf, schemes } = await publishedEquityReport(deps.services, db, deps.clock.now().toISOString(), groupBy);
        return csvFile(`equity-${groupBy}-${stamp(asOf)}.csv`, equityCsvColumns, equityCsvRows(schemes, groupBy, asOf));
      },
    }),
  ];
}
