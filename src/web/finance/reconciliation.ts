import { z } from 'zod';
import { exceptionKinds } from '../../db/schema/index.js';
import {
  importStatement, listReconciliationExceptions, resolveException, statementWithLines,
} from '../../modules/reconciliation/reconciliation.service.js';
import { html } from '../html.js';
import { timeZoneOfCurrency } from '../i18n.js';
import type { MessageKey } from '../messages/catalogue.js';
import { definePage, type PageContext, type PageReply, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { uploadsOf } from '../multipart.js';
import { errorSummary, fieldError, formGuards, officerRuns, outcomeNotice, refusedRedirect, shortId, textField, type FieldError } from './forms.js';

/** The largest statement a form may carry: pasted text, URL-encoded, or an uploaded file. The API takes larger files. */
export const STATEMENT_FORM_BYTES = 1024 * 1024;
/** The statement file and the form's few short fields around it. */
const STATEMENT_UPLOAD_BYTES = STATEMENT_FORM_BYTES + 16_384;

export const exceptionKindKeys: Record<`fin.exception.${(typeof exceptionKinds)[number]}`, true> = {
  'fin.exception.amount_differs': true, 'fin.exception.unknown_reference': true, 'fin.exception.duplicate': true, 'fin.exception.returned_payment': true,
  'fin.exception.not_seen': true, 'fin.exception.balance_mismatch': true, 'fin.exception.unexpected_entry': true,
};
const kindKey = (kind: string) => `fin.exception.${kind}` as MessageKey;
const outcomeKeys: Record<string, MessageKey> = {
  settled: 'fin.outcome.settled', returned: 'fin.outcome.returned', exception: 'fin.outcome.exception', pending: 'fin.outcome.pending',
  info: 'fin.outcome.info', unbalanced: 'fin.outcome.unbalanced', refunded: 'fin.outcome.refunded',
};

export function reconciliationPages(deps: WebDeps): PageSpec[] {
  const db = deps.services.database.db;

  function uploadForm(ctx: PageContext, errors: FieldError[] = [], values: { format?: string; statement?: string } = {}, problems: string[] = []): PageReply {
    const { t } = ctx;
    const statement = fieldError(ctx, errors, 'statement');
    const format = values.format === 'csv' ? 'csv' : 'camt.053';
    return {
      status: errors.length > 0 ? 400 : 200,
      title: t('fin.statements.title'),
      body: html`<h1>${t('fin.statements.title')}</h1>
${errorSummary(ctx, errors)}
${outcomeNotice(ctx, {})}
<p class="lead">${t('fin.statements.lead')}</p>
<form method="post" action="/finance/statements" enctype="multipart/form-data" class="stack">${formGuards(ctx)}
<fieldset><legend>${t('fin.statements.format')}</legend>
<div class="choice"><input type="radio" id="format-camt" name="format" value="camt.053"${format === 'camt.053' ? html` checked` : ''}><label for="format-camt">${t('fin.statements.camt')}</label></div>
<div class="choice"><input type="radio" id="format-csv" name="format" value="csv"${format === 'csv' ? html` checked` : ''}><label for="format-csv">${t('fin.statements.csv')}</label></div>
</fieldset>
<div class="field"><label for="statement-file">${t('fin.statements.file')}</label>
<input type="file" id="statement-file" name="statementFile" accept=".xml,.csv,application/xml,text/xml,text/csv"></div>
<div class="field"><label for="statement">${t('fin.statements.paste')}</label><p class="hint" id="statement-hint">${t('fin.statements.pasteHint')}</p>${statement.message}
${problems.length > 0 ? html`<ul class="field-error">${problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
<textarea id="statement" name="statement" rows="12" class="code" spellcheck="false" aria-describedby="statement-hint"${statement.attrs}>${values.statement ?? ''}</textarea></div>
<button type="submit">${t('fin.statements.submit')}</button>
</form>`,
    };
  }

  async function statementPage(ctx: PageContext): Promise<PageReply> {
    const { t, fmt } = ctx;
    const id = z.uuid().safeParse(ctx.req.params.statementId);
    if (!id.success) return { status: 404, title: t('error.title'), body: html`<h1>${t('error.title')}</h1><p>${t('error.notFound')}</p>` };
    const { statement: s, lines } = await statementWithLines(db, id.data, { limit: 500 });
    const title = t('fin.statement.title', { ref: s.statementRef ?? shortId(s.id) });
    return {
      title,
      body: html`<h1>${title}</h1>
${outcomeNotice(ctx, { imported: 'fin.statement.done.imported', replayed: 'fin.statement.done.replayed' })}
${s.outcome === 'balance_mismatch' ? html`<div class="notice error"><p>${t('fin.statement.unbalanced')}</p></div>` : ''}
<dl class="summary wide">
<dt>${t('fin.statement.lines')}</dt><dd>${s.lineCount}</dd>
<dt>${t('fin.outcome.settled')}</dt><dd>${s.matched}</dd>
<dt>${t('fin.outcome.returned')}</dt><dd>${s.returned}</dd>
<dt>${t('fin.outcome.pending')}</dt><dd>${s.pending + s.info}</dd>
<dt>${t('fin.outcome.exception')}</dt><dd>${s.exceptions}</dd>
</dl>
${s.exceptions > 0 ? html`<p><a href="/finance/exceptions">${t('fin.statement.workExceptions', { count: s.exceptions })}</a></p>` : ''}
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="statement-caption"><table class="stack-table">
<caption id="statement-caption">${t('fin.statement.caption')}</caption>
<thead><tr><th scope="col">${t('fin.statement.lineNo')}</th><th scope="col">${t('fin.batch.reference')}</th><th scope="col">${t('fin.statement.outcome')}</th><th scope="col" class="amount">${t('fin.batch.amount')}</th></tr></thead>
<tbody>${lines.map((l) => html`<tr>
<td data-label="${t('fin.statement.lineNo')}">${l.lineNo}</td>
<td data-label="${t('fin.batch.reference')}" class="code">${l.endToEndId ?? '—'}</td>
<td data-label="${t('fin.statement.outcome')}"><span class="tag${l.outcome === 'exception' ? ' warn' : ''}">${t(outcomeKeys[l.outcome] ?? 'fin.outcome.info')}</span></td>
<td data-label="${t('fin.batch.amount')}" class="amount">${l.direction === 'credit' ? '+' : '−'}${fmt.money(l.amount, l.currency)}</td></tr>`)}</tbody>
</table></div>
<p><a href="/finance/statements">${t('fin.statement.another')}</a></p>`,
    };
  }

  async function exceptionsPage(ctx: PageContext, errors: FieldError[] = [], failed?: { id: string; resolution: string }): Promise<PageReply> {
    const { t, fmt } = ctx;
    const resolved = ctx.req.query.status === 'resolved';
    const rows = await listReconciliationExceptions(db, { status: resolved ? 'resolved' : 'open', limit: 100 });
    return {
      status: errors.length > 0 ? 400 : 200,
      title: t('fin.exceptions.title'),
      body: html`<h1>${t('fin.exceptions.title')}</h1>
${errorSummary(ctx, errors)}
${outcomeNotice(ctx, { resolved: 'fin.exceptions.done.resolved' })}
<p>${resolved ? html`<a href="/finance/exceptions">${t('fin.exceptions.showOpen')}</a>` : html`<a href="/finance/exceptions?status=resolved">${t('fin.exceptions.showResolved')}</a>`}</p>
<h2>${t(resolved ? 'fin.exceptions.resolved' : 'fin.exceptions.open')}</h2>
${rows.length === 0 ? html`<p>${t('fin.exceptions.none')}</p>` : html`<ul class="cards wide">${rows.map((e) => {
        const field = `resolution-${e.id}`;
        const err = failed?.id === e.id ? fieldError(ctx, errors, field) : { message: '', attrs: '' };
        return html`<li class="card">
<h3>${t(kindKey(e.kind))}</h3>
<dl class="summary">
<dt>${t('fin.exceptions.raised')}</dt><dd>${fmt.date(e.raisedAt, timeZoneOfCurrency(e.currency))}</dd>
${e.expected !== null ? html`<dt>${t('fin.exceptions.expected')}</dt><dd>${fmt.money(e.expected, e.currency)}</dd>` : ''}
${e.actual !== null ? html`<dt>${t('fin.exceptions.actual')}</dt><dd>${fmt.money(e.actual, e.currency)}</dd>` : ''}
</dl>
<p class="hint">${t('fin.exceptions.detail', { detail: e.detail })}</p>
${e.status === 'resolved'
    ? html`<p>${t('fin.exceptions.resolvedBy', { who: e.resolvedBy ?? '', resolution: e.resolution ?? '' })}</p>`
    : html`<form method="post" action="/finance/exceptions/${e.id}/resolve">${formGuards(ctx)}
<div class="field"><label for="${field}">${t('fin.exceptions.resolution')}</label>${err.message}
<textarea id="${field}" name="resolution" rows="2" maxlength="1000"${err.attrs}>${failed?.id === e.id ? failed.resolution : ''}</textarea></div>
<button type="submit">${t('fin.exceptions.resolve')}</button></form>`}
</li>`;
      })}</ul>`}`,
    };
  }

  return [
    definePage({ method: 'get', path: '/finance/statements', roles: ['finance'], handler: async (ctx) => uploadForm(ctx) }),
    definePage({
      method: 'post', path: '/finance/statements', roles: ['finance'], formBytes: STATEMENT_FORM_BYTES,
      upload: { maxBytes: STATEMENT_UPLOAD_BYTES, field: 'statementFile' },
      async handler(ctx) {
        const format = textField(ctx, 'format') === 'csv' ? 'csv' : 'camt.053';
        // A chosen file is the statement; without one, the pasted text is.
        const file = uploadsOf(ctx.req).statementFile;
        const content = file ? file.data.toString('utf8') : textField(ctx, 'statement');
        if (content.trim() === '') return uploadForm(ctx, [{ field: 'statement', key: 'fin.statements.empty' }], { format });
        // The same service call and key semantics as POST /v1/bank-statements.
        const outcome = await officerRuns(deps, ctx, '/v1/bank-statements', async (tx, acting) => {
          const summary = await importStatement(deps.services, tx, { format, content }, acting);
          return { statementId: summary.statementId, replayed: summary.replayed };
        });
        if (!outcome.ok) {
          if (outcome.problem.status >= 400 && outcome.problem.status < 500 && outcome.problem.code === 'validation_failed') {
            const problems = ((outcome.problem as { errors?: { path?: string; message?: string }[] }).errors ?? [])
              .slice(0, 10).map((e) => [e.path, e.message].filter(Boolean).join(': '));
            return uploadForm(ctx, [{ field: 'statement', key: 'fin.statements.invalid' }], { format, statement: content }, problems);
          }
          return refusedRedirect('/finance/statements', outcome);
        }
        return { redirect: `/finance/statements/${String(outcome.body.statementId)}?done=${outcome.body.replayed ? 'replayed' : 'imported'}`, status: 303 };
      },
    }),
    definePage({ method: 'get', path: '/finance/statements/:statementId', roles: ['finance'], handler: statementPage }),
    definePage({ method: 'get', path: '/finance/exceptions', roles: ['finance'], handler: (ctx) => exceptionsPage(ctx) }),
    definePage({
      method: 'post', path: '/finance/exceptions/:exceptionId/resolve', roles: ['finance'],
      async handler(ctx) {
        const id = z.uuid().safeParse(ctx.req.params.exceptionId);
        if (!id.success) return { redirect: '/finance/exceptions?refused=not_found', status: 303 };
        const resolution = textField(ctx, 'resolution').trim();
        if (resolution.length < 3 || resolution.length > 1000) {
          return exceptionsPage(ctx, [{ field: `resolution-${id.data}`, key: 'fin.exceptions.resolutionMissing' }], { id: id.data, resolution: textField(ctx, 'resolution') });
        }
        // The same service call and key semantics as POST /v1/reconciliation-exceptions/{exceptionId}/resolve.
        const outcome = await officerRuns(deps, ctx, `/v1/reconciliation-exceptions/${id.data}/resolve`, async (tx, acting) => {
          await resolveException(deps.services, tx, id.data, resolution, acting);
          return {};
        });
        if (!outcome.ok) return refusedRedirect('/finance/exceptions', outcome);
        return { redirect: '/finance/exceptions?done=resolved', status: 303 };
      },
    }),
  ];
}
