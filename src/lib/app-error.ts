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
  /** It existed and is no longer available (an expired or revoked share link); `reasons` says which. */
  gone: 410,
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
