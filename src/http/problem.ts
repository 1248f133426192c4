import { z } from 'zod';
import { errorStatus, type ErrorCode, type FieldError } from '../lib/app-error.js';

export const PROBLEM_TYPE_BASE = 'https://learning-credits.example/problems/';

const titles: Record<ErrorCode, string> = {
  bad_request: 'Bad request',
  malformed_json: 'Malformed JSON body',
  unauthenticated: 'Authentication required',
  forbidden: 'Forbidden',
  four_eyes_required: 'A second person must approve this',
  not_found: 'Not found',
  gone: 'Gone',
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
