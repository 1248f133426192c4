import { actingOf, samePerson } from '../../modules/acting.js';
import { z } from 'zod';
import { currencies, isCurrency } from '../../lib/money.js';
import { getBatch, proposeDisbursementBatch, recentBatches, releasedBatchFile, type ExcludedLine } from '../../modules/disbursements/disbursements.service.js';
import { pain001, paymentFileCsv } from '../../modules/disbursements/payment-file.js';
import { allSchemes } from '../../modules/schemes/schemes.service.js';
import { html } from '../html.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { errorSummary, fieldError, formGuards, officerRuns, outcomeNotice, refusedRedirect, shortId, textField, type FieldError } from './forms.js';

const batchStatusKeys: Record<string, MessageKey> = {
  proposed: 'fin.batch.status.proposed', rejected: 'fin.batch.status.rejected', submitted: 'fin.batch.status.submitted',
  settled: 'fin.batch.status.settled', partially_settled: 'fin.batch.status.partially_settled', returned: 'fin.batch.status.returned',
};
const lineStatusKeys: Record<string, MessageKey> = {
  proposed: 'fin.line.proposed', pending: 'fin.line.pending', settled: 'fin.line.settled', returned: 'fin.line.returned', netted: 'fin.line.netted',
};
const released = (status: string) => status !== 'proposed' && status !== 'rejected';

/** The end of a chosen day (UTC), or now when that is still to come: a cut-off is never in the future. */
function cutOffOf(day: string, now: Date): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const end = new Date(`${day}T23:59:59.999Z`);
  if (Number.isNaN(end.getTime())) return undefined;
  if (new Date(`${day}T00:00:00.000Z`) > now) return undefined;
  return end > now ? now : end;
}

export function batchPages(deps: WebDeps): PageSpec[] {
  const db = deps.services.database.db;

  async function list(ctx: PageContext, errors: FieldError[] = [], values: Record<string, string> = {}): Promise<PageReply> {
    const { t, fmt } = ctx;
    const [batches, schemes] = await Promise.all([recentBatches(db, 50), allSchemes(db)]);
    const today = deps.clock.now().toISOString().slice(0, 10);
    const currency = values.currency ?? 'SGD';
    const cutOff = fieldError(ctx, errors, 'cutOff');
    const scheme = fieldError(ctx, errors, 'schemeId');
    return {
      status: errors.length > 0 ? 400 : 200,
      title: t('fin.batches.title'),
      body: html`<h1>${t('fin.batches.title')}</h1>
${errorSummary(ctx, errors)}
${outcomeNotice(ctx, {})}
<h2>${t('fin.batches.build')}</h2>
<p>${t('fin.batches.buildLead')}</p>
<form method="post" action="/finance/batches" class="stack">${formGuards(ctx)}
<div class="field"><label for="currency">${t('fin.batches.currency')}</label>
<select id="currency" name="currency">${Object.keys(currencies).map((c) => html`<option value="${c}"${c === currency ? html` selected` : ''}>${c}</option>`)}</select></div>
<div class="field"><label for="schemeId">${t('fin.batches.scheme')}</label>${scheme.message}
<select id="schemeId" name="schemeId"${scheme.attrs}><option value="">${t('fin.batches.allSchemes')}</option>
${schemes.map((s) => html`<option value="${s.id}"${s.id === values.schemeId ? html` selected` : ''}>${s.name} (${s.currency})</option>`)}</select></div>
<div class="field"><label for="cutOff">${t('fin.batches.cutOff')}</label><p class="hint" id="cutOff-hint">${t('fin.batches.cutOffHint')}</p>${cutOff.message}
<input type="date" id="cutOff" name="cutOff" value="${values.cutOff ?? today}" max="${today}" aria-describedby="cutOff-hint"${cutOff.attrs}></div>
<button type="submit">${t('fin.batches.propose')}</button>
</form>
<h2>${t('fin.batches.recent')}</h2>
${batches.length === 0 ? html`<p>${t('fin.batches.none')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="batches-caption"><table class="stack-table">
<caption id="batches-caption">${t('fin.batches.caption')}</caption>
<thead><tr><th scope="col">${t('fin.batches.batch')}</th><th scope="col">${t('fin.batches.statusCol')}</th><th scope="col">${t('fin.batches.lines')}</th><th scope="col" class="amount">${t('fin.batches.total')}</th></tr></thead>
<tbody>${batches.map((b) => html`<tr>
<td data-label="${t('fin.batches.batch')}"><a href="/finance/batches/${b.id}">${t('fin.batches.batchOf', { date: fmt.date(b.createdAt, timeZoneOfCurrency(b.currency)), id: shortId(b.id) })}</a></td>
<td data-label="${t('fin.batches.statusCol')}">${t(batchStatusKeys[b.status] ?? 'fin.batch.status.proposed')}</td>
<td data-label="${t('fin.batches.lines')}">${b.lineCount}</td>
<td data-label="${t('fin.batches.total')}" class="amount">${fmt.money(b.controlSum, b.currency)}</td></tr>`)}</tbody>
</table></div>`}`,
    };
  }

  async function detail(ctx: PageContext): Promise<PageReply> {
    const { t, fmt } = ctx;
    const id = z.uuid().safeParse(ctx.req.params.batchId);
    if (!id.success) return { status: 404, title: t('error.title'), body: html`<h1>${t('error.title')}</h1><p>${t('error.notFound')}</p>` };
    const { batch, lines, approval } = await getBatch(deps.services, db, id.data, { acting: actingOf({ principal: ctx.principal!, requestId: ctx.requestId }), operation: 'page:finance.batch' });
    const me = ctx.principal!.subject;
    const zone = timeZoneOfCurrency(batch.currency);
    const errors: FieldError[] = ctx.req.query.invalid === 'note' ? [{ field: 'note', key: 'fin.batch.noteMissing' }] : [];
    const note = fieldError(ctx, errors, 'note');
    const pending = batch.status === 'proposed' && approval?.status === 'pending';
    const title = t('fin.batch.title', { id: shortId(batch.id) });
    const excluded = batch.excluded as ExcludedLine[];
    return {
      title,
      body: html`<h1>${title}</h1>
${errorSummary(ctx, errors)}
${outcomeNotice(ctx, { proposed: 'fin.batch.done.proposed', approved: 'fin.batch.done.approved', rejected: 'fin.batch.done.rejected' })}
<dl class="summary wide">
<dt>${t('fin.batches.statusCol')}</dt><dd>${t(batchStatusKeys[batch.status] ?? 'fin.batch.status.proposed')}</dd>
<dt>${t('fin.batch.messageId')}</dt><dd class="code">${batch.messageId}</dd>
<dt>${t('fin.batches.total')}</dt><dd>${fmt.money(batch.controlSum, batch.currency)}</dd>
<dt>${t('fin.batches.lines')}</dt><dd>${batch.lineCount}</dd>
<dt>${t('fin.batch.execution')}</dt><dd>${fmt.date(`${batch.requestedExecutionDate}T12:00:00Z`, zone)}</dd>
<dt>${t('fin.batch.proposedBy')}</dt><dd>${batch.createdBy}</dd>
${batch.releasedBy ? html`<dt>${t('fin.batch.releasedBy')}</dt><dd>${batch.releasedBy}</dd>` : ''}
</dl>
${pending && samePerson(approval.proposedBy, me) ? html`<div class="notice"><p>${t('fin.batch.youProposed')}</p></div>` : ''}
${pending && !samePerson(approval.proposedBy, me) ? html`<h2>${t('fin.batch.decide')}</h2>
<p>${t('fin.batch.decideLead', { who: approval.proposedBy })}</p>
<div class="actions">
<form method="post" action="/finance/approvals/${approval.id}/approve">${formGuards(ctx)}<button type="submit">${t('fin.batch.approve')}</button></form>
</div>
<form method="post" action="/finance/approvals/${approval.id}/reject" class="stack">${formGuards(ctx)}
<div class="field"><label for="note">${t('fin.batch.rejectNote')}</label>${note.message}<textarea id="note" name="note" rows="2" maxlength="1000"${note.attrs}></textarea></div>
<button type="submit" class="secondary">${t('fin.batch.reject')}</button>
</form>` : ''}
${released(batch.status) && batch.controlSum > 0n ? html`<h2>${t('fin.batch.files')}</h2>
<ul class="downloads">
<li><a href="/finance/batches/${batch.id}/pain.001" download>${t('fin.batch.pain001')}</a></li>
<li><a href="/finance/batches/${batch.id}/payment.csv" download>${t('fin.batch.csv')}</a></li>
</ul>` : ''}
<h2>${t('fin.batch.lines')}</h2>
${lines.length === 0 ? html`<p>${t('fin.batch.noLines')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="lines-caption"><table class="stack-table">
<caption id="lines-caption" class="visually-hidden">${t('fin.batch.lines')}</caption>
<thead><tr><th scope="col">${t('fin.batch.payee')}</th><th scope="col">${t('fin.batch.reference')}</th><th scope="col">${t('fin.batches.statusCol')}</th><th scope="col" class="amount">${t('fin.batch.amount')}</th></tr></thead>
<tbody>${lines.map((l) => html`<tr>
<td data-label="${t('fin.batch.payee')}">${l.creditorName}</td>
<td data-label="${t('fin.batch.reference')}" class="code">${l.endToEndId}</td>
<td data-label="${t('fin.batches.statusCol')}">${t(lineStatusKeys[l.status] ?? 'fin.line.pending')}</td>
<td data-label="${t('fin.batch.amount')}" class="amount">${fmt.money(l.amount, batch.currency)}</td></tr>`)}</tbody>
</table></div>`}
${excluded.length > 0 ? html`<h2>${t('fin.batch.excluded')}</h2><ul>${excluded.map((x) => html`<li>${t('fin.batch.excludedLine', { amount: fmt.money(BigInt(x.amount), batch.currency), problems: x.problems.join('; ') })}</li>`)}</ul>` : ''}
<p><a href="/finance/batches">${t('fin.batch.back')}</a></p>`,
    };
  }

  const file = (format: 'pain.001' | 'csv') => async (ctx: PageContext): Promise<PageReply> => {
    const id = z.uuid().safeParse(ctx.req.params.batchId);
    if (!id.success) return { status: 404, title: ctx.t('error.title'), body: html`<h1>${ctx.t('error.title')}</h1><p>${ctx.t('error.notFound')}</p>` };
    // The same file, from the same service, as GET /v1/disbursement-batches/{batchId}/payment-file.
    const { batch, file: f } = await releasedBatchFile(deps.services, db, id.data, { acting: actingOf({ principal: ctx.principal!, requestId: ctx.requestId }), operation: `page:finance.batch.${format}` });
    const csv = format === 'csv';
    return {
      raw: csv ? paymentFileCsv(f) : pain001(f),
      type: csv ? 'text/csv; charset=utf-8' : 'application/xml; charset=utf-8',
      headers: { 'Content-Disposition': `attachment; filename="${batch.messageId}.${csv ? 'csv' : 'xml'}"` },
    };
  };

  return [
    definePage({ method: 'get', path: '/finance/batches', roles: ['finance'], handler: (ctx) => list(ctx) }),
    definePage({
      method: 'post', path: '/finance/batches', roles: ['finance'],
      async handler(ctx) {
        const values = { currency: textField(ctx, 'currency'), schemeId: textField(ctx, 'schemeId'), cutOff: textField(ctx, 'cutOff') };
        const errors: FieldError[] = [];
        const currency = isCurrency(values.currency) ? values.currency : undefined;
        if (!currency) errors.push({ field: 'currency', key: 'fin.batches.currencyMissing' });
        const schemeId = values.schemeId === '' ? undefined : z.uuid().safeParse(values.schemeId).data;
        if (values.schemeId !== '' && !schemeId) errors.push({ field: 'schemeId', key: 'fin.batches.schemeInvalid' });
        const cutOff = cutOffOf(values.cutOff, deps.clock.now());
        if (!cutOff) errors.push({ field: 'cutOff', key: 'fin.batches.cutOffInvalid' });
        if (errors.length > 0 || !currency || !cutOff) return list(ctx, errors, values);
        // The same service call and key semantics as POST /v1/disbursement-batches.
        const outcome = await officerRuns(deps, ctx, '/v1/disbursement-batches', async (tx, acting) => {
          const { batch } = await proposeDisbursementBatch(deps.services, tx, { currency, cutOff, schemeId }, acting);
          return { batchId: batch.id };
        });
        if (!outcome.ok) return refusedRedirect('/finance/batches', outcome);
        return { redirect: `/finance/batches/${String(outcome.body.batchId)}?done=proposed`, status: 303 };
      },
    }),
    definePage({ method: 'get', path: '/finance/batches/:batchId', roles: ['finance'], handler: detail }),
    definePage({ method: 'get', path: '/finance/batches/:batchId/pain.001', roles: ['finance'], handler: file('pain.001') }),
    definePage({ method: 'get', path: '/finance/batches/:batchId/payment.csv', roles: ['finance'], handler: file('csv') }),
  ];
}
