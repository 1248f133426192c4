import { z } from 'zod';
import { AppError } from './app-error.js';

/**
 * Opaque keyset cursors: base64url JSON of the sort key of the last item
 * returned. Lists never use OFFSET, so page N costs the same as page 1.
 */
export function encodeCursor(key: Record<string, string>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.output<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new AppError('validation_failed', 'the request is not valid', {
      errors: [{ path: 'query.cursor', message: 'is not a cursor this service issued' }],
    });
  }
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 instant with a zone, a real calendar date, whose UTC year is
 * 0001 to 9999: what toISOString() writes for any time the service stores,
 * and what both a JS Date and a PostgreSQL timestamptz hold. Year 0, expanded
 * years (+275760) and 30 February are not instants a cursor can carry.
 */
export function isCursorInstant(s: string): boolean {
  const m = INSTANT.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return false;
  if (m[7] && (Number(m[8]) > 14 || Number(m[9]) > 59)) return false;
  const at = new Date(s);
  return !Number.isNaN(at.getTime()) && at.getUTCFullYear() >= 1 && at.getUTCFullYear() <= 9999;
}
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** A cursor's timestamp, as the canonical ISO string (toISOString). Every list's cursor schema uses it or cursorDate. */
export const cursorInstant = z
  .string()
  .max(40)
  .refine(isCursorInstant, 'must be an ISO 8601 instant with a zone, years 0001 to 9999')
  .transform((s) => new Date(s).toISOString());

/** A cursor's timestamp as a Date. */
export const cursorDate = cursorInstant.transform((s) => new Date(s));

export const pageQuery = {
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
