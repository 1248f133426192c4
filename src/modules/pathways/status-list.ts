import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { AppError } from '../../lib/app-error.js';
import { schemeIssuerIdOf, statusListIdOf } from '../credentials/credential-ids.js';

/**
 * W3C Bitstring Status List v1.0: one revocation list per scheme. Index 0 is
 * the left-most (most significant) bit of the first byte; the published
 * `encodedList` is the GZIP-compressed bitstring, base64url without padding,
 * with the multibase prefix `u`. The spec's minimum length, 131,072 bits
 * (16 KB), gives herd privacy: a verifier fetching the list learns nothing of
 * which credential it checks.
 */
export const STATUS_LIST_LENGTH = 131_072;

/** The bitstring with the given indexes set, encoded as `encodedList`. */
export function encodeStatusList(length: number, setIndexes: Iterable<number>): string {
  const bits = Buffer.alloc(Math.ceil(length / 8));
  for (const i of setIndexes) {
    if (!Number.isInteger(i) || i < 0 || i >= length) throw new RangeError(`status list index ${i} is outside 0..${length - 1}`);
    bits[i >> 3]! |= 0x80 >> (i & 7);
  }
  return `u${gzipSync(bits).toString('base64url')}`;
}

/** The bitstring of an `encodedList`. */
export function decodeStatusList(encodedList: string): Buffer {
  if (!encodedList.startsWith('u')) throw new Error('encodedList must be multibase base64url (prefix u)');
  return gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
}

export const bitAt = (bits: Buffer, index: number): boolean => ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;

/**
 * Hands out the scheme's next free index, atomically: one conditional update
 * of the list's row, so two completions at once never share a bit. The list
 * is created on first use.
 */
export async function allocateStatusIndex(tx: Tx, schemeId: string): Promise<number> {
  await tx.execute(sql`insert into scheme_status_lists (scheme_id, length) values (${schemeId}, ${STATUS_LIST_LENGTH}) on conflict do nothing`);
  const r = await tx.execute<{ index: number }>(sql`
    update scheme_status_lists set next_index = next_index + 1
     where scheme_id = ${schemeId} and next_index < length
    returning next_index - 1 as index`);
  const index = r.rows[0]?.index;
  if (index === undefined) throw new AppError('invalid_state', 'the scheme\'s status list is full');
  return index;
}

/** The revoked indexes of a scheme's list and its length. */
export async function revokedIndexes(db: Db | Tx, schemeId: string): Promise<{ length: number; revoked: number[] }> {
  const r = await db.execute<{ length: number | null; revoked: number[] | null }>(sql`
    select (select length from scheme_status_lists where scheme_id = ${schemeId}) as length,
           (select array_agg(status_index order by status_index) from pathway_completions
             where scheme_id = ${schemeId} and revoked_at is not null) as revoked`);
  return { length: r.rows[0]?.length ?? STATUS_LIST_LENGTH, revoked: r.rows[0]?.revoked ?? [] };
}

/** The credentialStatus of a credential whose revocation bit is `index`. */
export const statusEntryOf = (schemeId: string, index: number) => ({
  id: `${statusListIdOf(schemeId)}#${index}`,
  type: 'BitstringStatusListEntry',
  statusPurpose: 'revocation',
  statusListIndex: String(index),
  statusListCredential: statusListIdOf(schemeId),
});

/** The BitstringStatusListCredential (VC 2.0) of a scheme, as the payload of a VC-JWT. */
export function statusListCredential(schemeId: string, encodedList: string, at: Date): Record<string, unknown> {
  const id = statusListIdOf(schemeId);
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: schemeIssuerIdOf(schemeId),
    validFrom: at.toISOString(),
    credentialSubject: { id: `${id}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList },
  };
}
