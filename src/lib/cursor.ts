import { z } from 'zod';
import { AppError } from '../http/problem.js';

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

export const pageQuery = {
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
