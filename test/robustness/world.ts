import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import {
  advanceTo, credentialPayload, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Enrolled, type Signer, type World,
} from '../claims/credential-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import type { Harness } from '../support/harness.js';

/** One provider's corner of the world: a course, a run, an enrolled learner and an approved claim. */
export interface Tenant {
  world: World;
  signer: Signer;
  enrolment: Enrolled;
  claimId: string;
  claimAmount: string;
}

/** A provider with an approved claim for one learner (enrol, finish the run, claim with a valid credential). */
export async function tenantWithApprovedClaim(h: Harness, options: { fee?: string; credit?: string } = {}): Promise<Tenant> {
  const world = await catalogue(h);
  const signer = await registerSigner(h, world);
  const enrolment = await enrolled(h, world, { fee: options.fee ?? '30000', credit: options.credit ?? '50000' });
  advanceTo(h, new Date(enrolment.endsAt.getTime() + 2 * HOUR));
  const credential = await signCredential(credentialPayload(factsFor(world, enrolment, h)), signer);
  const res = await submitClaim(h, world.providerToken, { enrolmentId: enrolment.enrolmentId, amount: enrolment.reserved, credential });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('approved');
  return { world, signer, enrolment, claimId: res.body.id as string, claimAmount: res.body.amountClaimed as string };
}

/** A bank statement CSV; every line booked (status BOOK) unless it says otherwise. */
export const statementCsv = (rows: [string, string, string, 'DBIT' | 'CRDT', 'payment' | 'return', ('BOOK' | 'PDNG' | 'INFO')?][]) =>
  ['booking_date,end_to_end_id,amount,currency,direction,type,status', ...rows.map(([ref, amount, ccy, dir, type, status]) => `2027-03-01,${ref},${amount},${ccy},${dir},${type},${status ?? 'BOOK'}`)].join('\n');

export const financeApi = (h: Harness, token: string) => ({
  post: (path: string, body: unknown) =>
    request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
  statement: (csv: string) =>
    request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).type('text/csv').send(csv),
  get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
});

/**
 * Every base table of the public schema: row count and an md5 over the rows
 * in a stable order. `idempotency_keys` is left out on purpose: the mount
 * remembers refusals (src/http/mount.ts rememberRefusal) so a retry gets the
 * same answer; a key row for a refused request is intended, not a data change.
 * `staff_data_reads` is left out too: a read of a learner the service answers
 * (an undeclared query parameter is ignored, so the read stands) is a staff
 * read of personal data, recorded by design; test/data-rights/export.test.ts
 * checks that a refused read records nothing.
 */
export async function snapshotTables(h: Harness, exclude: string[] = ['idempotency_keys', 'staff_data_reads']): Promise<Record<string, string>> {
  // Fold pending ledger deltas so a read that folds does not look like a change.
  await h.ledger.foldDeltas(h.database.db);
  const tables = (
    await h.database.pool.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    )
  ).rows.map((r) => r.table_name).filter((t) => !exclude.includes(t));
  const out: Record<string, string> = {};
  for (const t of tables) {
    const r = await h.database.pool.query<{ n: string; hash: string | null }>(
      `select count(*)::text n, md5(coalesce(string_agg(md5(x::text), ',' order by md5(x::text)), '')) hash from "${t}" x`,
    );
    out[t] = `${r.rows[0]!.n}:${r.rows[0]!.hash}`;
  }
  return out;
}
