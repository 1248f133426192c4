import { isUtf8 } from 'node:buffer';

/** JSON with bigint amounts as strings: money never passes through a float. */
export const stringifyJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * A body-parser `verify` hook: a body declared (or defaulted) as UTF-8 must be
 * valid UTF-8, or the decoder silently swaps bad bytes for U+FFFD.
 */
export function requireUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) throw Object.assign(new Error('the body is not valid UTF-8'), { type: 'encoding.invalid' });
}
