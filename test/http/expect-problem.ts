import type { Response } from 'supertest';
import { expect } from 'vitest';
import { PROBLEM_TYPE_BASE } from '../../src/http/problem.js';
import { errorStatus, type ErrorCode } from '../../src/lib/app-error.js';

/**
 * Asserts an RFC 9457 problem: the status, the media type, every member the
 * house style promises, and no stack trace anywhere in the raw text.
 */
export function expectProblem(res: Response, status: number, code: ErrorCode): Record<string, unknown> {
  const body = res.body as Record<string, unknown>;
  expect(res.status, `expected ${status} ${code}, got ${res.status}: ${res.text}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json(;|$)/);
  expect(errorStatus[code]).toBe(status);
  expect(body).toMatchObject({
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    instance: expect.any(String),
    requestId: expect.any(String),
  });
  expect((body.title as string).length).toBeGreaterThan(0);
  expect((body.detail as string).length).toBeGreaterThan(0);
  expect(body.requestId).toBe(res.headers['x-request-id']);
  expect(body).not.toHaveProperty('stack');
  expect(res.text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  return body;
}

export const errorPaths = (res: Response): string[] =>
  ((res.body as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path).sort();
