import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { credentialShares, credentialShareUses, learnerCredentials } from '../../db/schema/index.js';

export type LearnerCredentialRow = typeof learnerCredentials.$inferSelect;
export type CredentialShareRow = typeof credentialShares.$inferSelect;
export type CredentialShareUseRow = typeof credentialShareUses.$inferSelect;

/** What a kept credential is now: read on every request from the provider's revocations and its validity, never stored. */
export type LiveStatus = 'valid' | 'revoked' | 'expired';
export type ShownCredential = LearnerCredentialRow & { status: LiveStatus; revokedAt: Date | null };

// Written out in full: drizzle leaves a column of the outer query unqualified, which inside a subquery would name the inner table's.
const revokedAt = sql<string | null>`(select r.revoked_at::text from credential_revocations r
  where r.provider_id = learner_credentials.provider_id and r.credential_id = learner_credentials.credential_id)`;
/** A citizen sees a kept credential while its claim stands: approved or paid (not in review, rejected or reversed). */
const claimStands = sql`exists (select 1 from claims c where c.id = learner_credentials.claim_id and c.status in ('approved', 'paid'))`;

const statusAt = (row: LearnerCredentialRow & { revokedAt: string | null }, now: Date): ShownCredential => ({
  ...row,
  revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt),
  status: row.revokedAt !== null ? 'revoked' : row.validUntil && row.validUntil.getTime() < now.getTime() ? 'expired' : 'valid',
});

export async function insertLearnerCredential(db: Db | Tx, row: typeof learnerCredentials.$inferInsert): Promise<void> {
  await db.insert(learnerCredentials).values(row);
}

/** A learner's kept credentials that they may see, newest first, after the cursor. */
export async function listLearnerCredentials(
  db: Db | Tx, learnerId: string, now: Date, page: { before?: { at: Date; id: string } | undefined; limit: number },
): Promise<ShownCredential[]> {
  const rows = await db
    .select({ row: learnerCredentials, revokedAt })
    .from(learnerCredentials)
    .where(
      and(
        eq(learnerCredentials.learnerId, learnerId),
        claimStands,
        page.before
          ? sql`(${learnerCredentials.createdAt}, ${learnerCredentials.id}) < (${page.before.at.toISOString()}::timestamptz, ${page.before.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(learnerCredentials.createdAt), desc(learnerCredentials.id))
    .limit(page.limit);
  return rows.map((r) => statusAt({ ...r.row, revokedAt: r.revokedAt }, now));
}

/** One of the learner's kept credentials, if they may see it. */
export async function findLearnerCredential(db: Db | Tx, learnerId: string, id: string, now: Date): Promise<ShownCredential | undefined> {
  const [r] = await db
    .select({ row: learnerCredentials, revokedAt })
    .from(learnerCredentials)
    .where(and(eq(learnerCredentials.learnerId, learnerId), eq(learnerCredentials.id, id), claimStands));
  return r ? statusAt({ ...r.row, revokedAt: r.revokedAt }, now) : undefined;
}

export async function insertShare(db: Db | Tx, row: typeof credentialShares.$inferInsert): Promise<CredentialShareRow> {
  const [created] = await db.insert(credentialShares).values(row).returning();
  return created!;
}

/** The learner's shares of one credential, newest first, with how many times each was used. */
export async function listShares(db: Db | Tx, learnerId: string, learnerCredentialId: string) {
  return db
    .select({
      share: credentialShares,
      uses: sql<number>`(select count(*)::int from credential_share_uses u where u.learner_id = credential_shares.learner_id and u.share_id = credential_shares.id)`,
    })
    .from(credentialShares)
    .where(and(eq(credentialShares.learnerId, learnerId), eq(credentialShares.learnerCredentialId, learnerCredentialId)))
    .orderBy(desc(credentialShares.createdAt), desc(credentialShares.id))
    .limit(200);
}

export async function findShare(db: Db | Tx, learnerId: string, shareId: string, options: { forUpdate?: boolean } = {}): Promise<CredentialShareRow | undefined> {
  const q = db.select().from(credentialShares).where(and(eq(credentialShares.learnerId, learnerId), eq(credentialShares.id, shareId)));
  return (await (options.forUpdate ? q.for('update') : q))[0];
}

/** The share a token opens, found by the token's hash, with the credential it shares. */
export async function findShareByToken(db: Db | Tx, tokenSha256: string) {
  const [r] = await db
    .select({ share: credentialShares, credential: learnerCredentials })
    .from(credentialShares)
    .innerJoin(learnerCredentials, and(eq(learnerCredentials.learnerId, credentialShares.learnerId), eq(learnerCredentials.id, credentialShares.learnerCredentialId)))
    .where(eq(credentialShares.tokenSha256, tokenSha256));
  return r;
}

export async function markShareRevoked(db: Db | Tx, learnerId: string, shareId: string, at: Date): Promise<CredentialShareRow> {
  const [row] = await db
    .update(credentialShares)
    .set({ revokedAt: at })
    .where(and(eq(credentialShares.learnerId, learnerId), eq(credentialShares.id, shareId)))
    .returning();
  return row!;
}

export async function insertShareUse(db: Db | Tx, row: typeof credentialShareUses.$inferInsert): Promise<void> {
  await db.insert(credentialShareUses).values(row);
}

/** A share's uses, newest first (at most the latest 200). */
export async function listShareUses(db: Db | Tx, learnerId: string, shareId: string): Promise<CredentialShareUseRow[]> {
  return db
    .select()
    .from(credentialShareUses)
    .where(and(eq(credentialShareUses.learnerId, learnerId), eq(credentialShareUses.shareId, shareId)))
    .orderBy(desc(credentialShareUses.at), desc(credentialShareUses.id))
    .limit(200);
}
