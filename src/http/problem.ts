import { z } from 'zod';

/**
 * The closed set of failure codes. Each maps to exactly one HTTP status; the
 * problem `type` is derived from the code so clients can switch on either.
 */
export const errorStatus = {
  bad_request: 400,
  malformed_json: 400,
  unauthenticated: 401,
  forbidden: 403,
  four_eyes_required: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_key_in_use: 409,
  idempotency_key_reused: 422,
  idempotency_key_required: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  insufficient_funds: 409,
  insufficient_budget: 409,
  rule_violation: 422,
  not_eligible: 422,
  insufficient_credit: 409,
  invalid_state: 409,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface FieldError {
  path: string;
  message: string;
}

export const PROBLEM_TYPE_BASE = 'https://learning-credits.example/problems/';

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { errors?: FieldError[]; reasons?: string[]; [k: string]: unknown } = {},
  ) {
    super(message);
    this.status = errorStatus[code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const forbidden = (why = 'your role may not do this') => new AppError('forbidden', why);

const titles: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  malformed_json: 'Malformed JSON body',
  unauthenticated: 'Authentication required',
  forbidden: 'Forbidden',
  four_eyes_required: 'A second person must approve this',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  conflict: 'Conflict',
  idempotency_key_in_use: 'A request with this Idempotency-Key is still in progress',
  idempotency_key_reused: 'Idempotency-Key reused with a different request',
  idempotency_key_required: 'Idempotency-Key header required',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  validation_failed: 'Validation failed',
  insufficient_funds: 'Insufficient funds',
  insufficient_budget: 'Insufficient scheme budget',
  rule_violation: 'A business rule refused the request',
  not_eligible: 'The learner is not eligible for this course run',
  insufficient_credit: 'Not enough credit to fund this enrolment',
  invalid_state: 'Invalid state for this action',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
  service_unavailable: 'Service unavailable',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: ErrorCode;
  requestId?: string;
  errors?: FieldError[];
  [k: string]: unknown;
}

export function problemBody(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): ProblemBody {
  return { type: `${PROBLEM_TYPE_BASE}${code}`, title: titles[code], status: errorStatus[code], detail, code, ...extra };
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    reasons: z.array(z.string()).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
