import { randomUUID } from 'node:crypto';
import { actingOf, type Acting } from '../../modules/acting.js';
import type { Tx } from '../../db/client.js';
import { html, type Html } from '../html.js';
import type { MessageKey } from '../messages/catalogue.js';
import { runOnce, type Outcome } from '../once.js';
import type { PageContext } from '../page.js';
import type { WebDeps } from '../router.js';

/** A field the officer must correct, with the message shown beside it and in the error summary. */
export interface FieldError { field: string; key: MessageKey }

/** The hidden fields every finance form carries: the session's CSRF token and a fresh idempotency key. */
export const formGuards = (ctx: PageContext): Html =>
  html`<input type="hidden" name="csrf" value="${ctx.csrf}"><input type="hidden" name="idempotencyKey" value="${randomUUID()}">`;

/** The GOV.UK error summary: a list of links to the fields to correct, focused by the page's heading order. */
export function errorSummary(ctx: PageContext, errors: readonly FieldError[]): Html | string {
  if (errors.length === 0) return '';
  return html`<div class="notice error error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">${ctx.t('fin.errors.title')}</h2>
<ul>${errors.map((e) => html`<li><a href="#${e.field}">${ctx.t(e.key)}</a></li>`)}</ul>
</div>`;
}

/** The message beside a field, and the attributes that tie it to the field. */
export function fieldError(ctx: PageContext, errors: readonly FieldError[], field: string): { message: Html | string; attrs: Html | string } {
  const e = errors.find((x) => x.field === field);
  if (!e) return { message: '', attrs: '' };
  return {
    message: html`<p class="field-error" id="${field}-error"><span class="visually-hidden">${ctx.t('fin.errors.prefix')}</span> ${ctx.t(e.key)}</p>`,
    attrs: html` aria-invalid="true" aria-describedby="${field}-error"`,
  };
}

export const bodyOf = (ctx: PageContext): Record<string, unknown> => (ctx.req.body ?? {}) as Record<string, unknown>;
export const textField = (ctx: PageContext, name: string): string => {
  const v = bodyOf(ctx)[name];
  return typeof v === 'string' ? v : '';
};

/** A finance officer's action, run once per form (as its API route runs once per Idempotency-Key), under the API operation's path. */
export function officerRuns(deps: WebDeps, ctx: PageContext, apiPath: string, work: (tx: Tx, acting: Acting) => Promise<Record<string, unknown>>): Promise<Outcome> {
  const acting = actingOf({ principal: ctx.principal!, requestId: ctx.requestId });
  return runOnce(
    { db: deps.services.database.db, clock: deps.clock, fingerprintSecret: deps.fingerprintSecret, log: ctx.log },
    { principal: ctx.principal!, key: bodyOf(ctx).idempotencyKey, method: 'POST', apiPath },
    (tx) => work(tx, acting),
  );
}

/** The problem codes an officer may meet, each with words of its own; anything else is said generally. */
const refusalKeys: Record<string, MessageKey> = {
  four_eyes_required: 'fin.refused.four_eyes_required',
  invalid_state: 'fin.refused.invalid_state',
  conflict: 'fin.refused.conflict',
  rule_violation: 'fin.refused.rule_violation',
  validation_failed: 'fin.refused.validation_failed',
  not_found: 'fin.refused.not_found',
  forbidden: 'fin.refused.forbidden',
};
export const refusalKey = (code: string | undefined): MessageKey => refusalKeys[code ?? ''] ?? 'fin.refused.other';

/** The outcome of the last form, carried by redirect-after-post in the query: ?done=<what> or ?refused=<problem code>. */
export function outcomeNotice(ctx: PageContext, done: Partial<Record<string, MessageKey>>): Html | string {
  const q = ctx.req.query;
  if (typeof q.refused === 'string') {
    return html`<div class="notice error" role="alert"><p>${ctx.t('fin.refused.lead')} ${ctx.t(refusalKey(q.refused.slice(0, 50)))}</p></div>`;
  }
  const key = typeof q.done === 'string' ? done[q.done] : undefined;
  return key ? html`<div class="notice success" role="status"><p>${ctx.t(key)}</p></div>` : '';
}

/** A redirect back to a page with the API's refusal named, so the page says why nothing happened. */
export const refusedRedirect = (path: string, outcome: Extract<Outcome, { ok: false }>) => ({
  redirect: `${path}?refused=${encodeURIComponent(outcome.problem.code)}`, status: 303 as const,
});

/** An id shortened for a person to read and say: the first eight characters. */
export const shortId = (id: string) => id.slice(0, 8);
