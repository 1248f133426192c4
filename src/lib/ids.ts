import { randomUUID } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): a millisecond timestamp then random bits. Ids made in
 * order land at the right edge of their B-tree indexes instead of at random
 * pages, which keeps bulk inserts (a grant run over millions of learners)
 * and every hot table's indexes compact.
 *
 * Built on randomUUID, which draws from a cached pool of entropy: a v4 UUID
 * already has the variant bits and 74 random bits where v7 wants them, so
 * its first 48 bits become the timestamp and its version nibble a 7.
 */
export function newId(): string {
  const v4 = randomUUID();
  const ms = Date.now().toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${v4.slice(15)}`;
}
