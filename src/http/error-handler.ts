import type { ErrorRequestHandler, Request, Response } from 'express';
import { ZodError } from 'zod';
import { LedgerRejected } from '../ledger/ledger.js';
import { serializeError, type Logger } from '../lib/logger.js';
import { stringifyJson } from './json.js';
import { isRetryable, isUnavailable, sqlState } from '../db/pg-errors.js';
import { describeOverflow, isOverflow } from '../ledger/types.js';
import { problemBody, type ProblemBody } from './problem.js';
import { AppError, type ErrorCode, type FieldError } from '../lib/app-error.js';

export function zodFieldErrors(err: ZodError, prefix?: string): FieldError[] {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') || (prefix ?? ''),
    message: i.message,
  }));
}

/** Ledger results that a caller can act on, mapped to our closed error codes. */
function ledgerProblem(err: LedgerRejected): { code: ErrorCode; detail: string } {
  const cause = err.cause0;
  if (cause === 'exceeds_credits') return { code: 'insufficient_funds', detail: 'the account does not hold enough available funds' };
  if (cause.startsWith('pending_transfer_already') || cause === 'pending_transfer_expired')
    return { code: 'invalid_state', detail: `the reservation can no longer change: ${cause}` };
  if (cause.startsWith('exists_with_different')) return { code: 'conflict', detail: `a transfer with this id already exists: ${cause}` };
  if (isOverflow(cause)) return { code: 'rule_violation', detail: `the ledger refused the transfer: ${describeOverflow(cause)} (${cause})` };
  return { code: 'rule_violation', detail: `the ledger refused the transfer: ${cause}` };
}

/** Turns any error into a problem body. Unknown errors become a bare 500. */
export function toProblem(err: unknown, log?: Logger): ProblemBody {
  if (err instanceof AppError) {
    const { errors, ...extra } = err.extra;
    return problemBody(err.code, err.message, { ...extra, ...(errors ? { errors } : {}) });
  }
  if (err instanceof ZodError) {
    return problemBody('validation_failed', 'the request is not valid', { errors: zodFieldErrors(err) });
  }
  if (err instanceof LedgerRejected) {
    const p = ledgerProblem(err);
    return problemBody(p.code, p.detail, { reasons: err.results.map((r) => r.result) });
  }
  const bodyParser = err as { type?: string; status?: number };
  switch (bodyParser?.type) {
    case 'entity.parse.failed':
      return problemBody('malformed_json', 'the body is not valid JSON');
    case 'entity.too.large':
      return problemBody('payload_too_large', 'the body is larger than this service accepts');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return problemBody('unsupported_media_type', 'send the body as UTF-8 without a content encoding');
    case 'encoding.invalid':
      return problemBody('bad_request', 'the body is not valid UTF-8');
    case 'request.aborted':
      return problemBody('bad_request', 'the request was aborted');
  }
  if (err instanceof URIError) return problemBody('bad_request', 'the URL is not correctly encoded');
  const state = sqlState(err);
  if (isUnavailable(err)) return problemBody('service_unavailable', 'the database is unavailable; retry shortly');
  if (isRetryable(err)) return problemBody('service_unavailable', 'the request conflicted with another; retry it');
  if (state === '23505') return problemBody('conflict', 'this would duplicate an existing record');
  // 54000: a value too large for the database (an index row over the btree limit), i.e. oversized input.
  // 22021/22P05: a character PostgreSQL cannot store (NUL); the input layer refuses these first, this is the safety net.
  if (state === '23514' || state === '23503' || state === '54000' || state === '22P02' || state === '22003' || state === '22007' || state === '22008' || state === '22021' || state === '22P05')
    return problemBody('rule_violation', 'the request breaks a rule of the data');
  logUnhandled(err, log);
  return problemBody('internal_error', 'an unexpected error occurred; it has been logged');
}

/**
 * Errors already logged. One error can be mapped twice on its way out (the
 * idempotency layer maps it, rolls back and rethrows it to the route's own
 * catch); it is logged once.
 */
const logged = new WeakSet<object>();

/**
 * Logs an error that became a 500, reduced to safe fields (type, SQLSTATE,
 * constraint, table, masked message, stack frames): never the failed query's
 * parameters, never a pg error's detail. (The service's logger does this to
 * any error it is handed; doing it here too keeps it so under any logger.)
 */
function logUnhandled(err: unknown, log: Logger | undefined): void {
  if (!log) return;
  if (err !== null && typeof err === 'object') {
    if (logged.has(err)) return;
    logged.add(err);
  }
  log.error({ err: serializeError(err) }, 'unhandled error');
}

export function sendProblem(req: Request, res: Response, problem: ProblemBody): void {
  const body = { ...problem, instance: req.originalUrl, requestId: String(req.id ?? '') };
  if (problem.status === 503) res.setHeader('Retry-After', '1');
  res.status(problem.status).type('application/problem+json').send(stringifyJson(body));
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    sendProblem(req, res, toProblem(err, req.log ?? log));
  };
}
