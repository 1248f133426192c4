import { createHash } from 'node:crypto';
import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import { isShareToken, newShareToken, shareTokenSha256 } from '../../lib/share-token.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import { readCredentialContent } from '../credentials/credential-content.js';
import type { VerificationAnswer } from '../credentials/verification-answer.js';
import { verifyPresentedCredential } from '../credentials/verify-presented-credential.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import {
  findLearnerCredential, findShare, findShareByToken, insertLearnerCredential, insertShare, insertShareUse, listLearnerCredentials, listShares,
  listShareUses, markShareRevoked, type CredentialShareRow, type LearnerCredentialRow, type ShownCredential,
} from './learner-credentials.repo.js';

export type { CredentialShareRow, ShownCredential };

const DAY_MS = 86_400_000;

/**
 * Keeps the credential a claim carried, as it was sent, once the claim's
 * checks passed (approved or in review). Called by submitClaim inside its
 * transaction: the claim and its kept credential are one change.
 */
export async function keepClaimCredential(
  tx: Tx, claim: { id: string; learnerId: string; providerId: string }, courseId: string, jws: string, now: Date,
): Promise<void> {
  const c = readCredentialContent(jws);
  // The claim's checks read this very JWS; a payload they accepted and this cannot read would be a bug here.
  if (!c) throw new Error(`claim ${claim.id}: a verified credential whose payload cannot be read`);
  await insertLearnerCredential(tx, {
    learnerId: claim.learnerId, id: newId(), claimId: claim.id, providerId: claim.providerId, courseId, credentialId: c.id, jws,
    sha256: createHash('sha256').update(jws).digest('hex'), issuer: c.issuer, issuerName: c.issuerName ?? null, achievementId: c.achievementId,
    achievementName: c.achievementName ?? null, validFrom: c.validFrom, validUntil: c.validUntil ?? null, resultStatus: c.resultStatus ?? 'Completed',
    grade: c.grade ?? null, attendanceBps: c.attendanceBps ?? null, createdAt: now,
  });
}

export const listMyCredentials = (deps: ServiceDeps, db: Db | Tx, learnerId: string, page: { before?: { at: Date; id: string } | undefined; limit: number }) =>
  listLearnerCredentials(db, learnerId, deps.clock.now(), page);

/** One of the learner's own kept credentials; another learner's is a 404 like one that does not exist. */
export async function getMyCredential(deps: ServiceDeps, db: Db | Tx, learnerId: string, id: string): Promise<ShownCredential> {
  const c = await findLearnerCredential(db, learnerId, id, deps.clock.now());
  if (!c) throw notFound('credential');
  return c;
}

export interface CreatedShare {
  share: CredentialShareRow;
  /** The secret of the link: shown this once, never stored. */
  token: string;
}

/**
 * A time-limited link to one of the learner's credentials, for an employer.
 * A revoked or expired credential may still be shared: whoever opens the
 * link is told so by the verification answer.
 */
export async function createShare(
  deps: ServiceDeps, db: Db | Tx, learnerId: string, credentialId: string, input: { expiresInDays: number; label?: string | undefined }, acting: Acting,
): Promise<CreatedShare> {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    await getMyCredential(deps, tx, learnerId, credentialId);
    const token = newShareToken();
    const share = await insertShare(tx, {
      learnerId, id: newId(), learnerCredentialId: credentialId, tokenSha256: shareTokenSha256(token), label: input.label ?? null,
      expiresAt: new Date(now.getTime() + input.expiresInDays * DAY_MS), createdAt: now,
    });
    // Neither the token nor the label (the learner's own words) goes into the audit trail.
    await recordAudit(tx, {
      ...acting, action: 'credential_share.created', entityType: 'credential_share', entityId: share.id, at: now,
      details: { learnerCredentialId: credentialId, expiresAt: share.expiresAt.toISOString() },
    });
    return { share, token };
  });
}

/**
 * The address a share link's token is given at. Never from the Host header when
 * PUBLIC_URL is set: a forged host would send the employer, and the token, elsewhere.
 */
export function shareUrlOf(deps: ServiceDeps, req: { protocol: string; get(name: string): string | undefined }, token: string): string {
  const base = policyOf(deps).publicUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return `${base}/v1/public/credential-shares/${token}`;
}

export async function sharesOf(deps: ServiceDeps, db: Db | Tx, learnerId: string, credentialId: string) {
  await getMyCredential(deps, db, learnerId, credentialId);
  return listShares(db, learnerId, credentialId);
}

/** Revokes one of the learner's share links; revoking it again changes nothing and answers the same. */
export async function revokeShare(deps: ServiceDeps, db: Db | Tx, learnerId: string, shareId: string, acting: Acting): Promise<CredentialShareRow> {
  return inTransaction(db, async (tx) => {
    const share = await findShare(tx, learnerId, shareId, { forUpdate: true });
    if (!share) throw notFound('credential share');
    if (share.revokedAt) return share;
    const now = deps.clock.now();
    const revoked = await markShareRevoked(tx, learnerId, shareId, now);
    await recordAudit(tx, { ...acting, action: 'credential_share.revoked', entityType: 'credential_share', entityId: shareId, at: now, details: {} });
    return revoked;
  });
}

export async function usesOf(db: Db | Tx, learnerId: string, shareId: string) {
  const share = await findShare(db, learnerId, shareId);
  if (!share) throw notFound('credential share');
  return { share, uses: await listShareUses(db, learnerId, shareId) };
}

export interface OpenedShare {
  verification: VerificationAnswer;
  credential: LearnerCredentialRow;
  share: CredentialShareRow;
}

const firstFailure = (a: VerificationAnswer) => a.checks.find((c) => !c.passed)?.reason ?? 'not_verified';

/**
 * What an employer who opens a share link sees: the credential verified now,
 * as anyone presenting it would have it verified. Every use is logged, when
 * and with what answer, and nothing about who asked. An unknown token is a
 * 404; an expired or revoked link is a 410 `gone` naming share_expired or
 * share_revoked (logged too, so the learner sees the attempt).
 */
export async function openShare(deps: ServiceDeps, db: Db | Tx, token: string): Promise<OpenedShare> {
  const found = isShareToken(token) ? await findShareByToken(db, shareTokenSha256(token)) : undefined;
  if (!found) throw notFound('credential share');
  const { share, credential } = found;
  const now = deps.clock.now();
  const log = (verified: boolean, reason: string | null) =>
    insertShareUse(db, { learnerId: share.learnerId, id: newId(), shareId: share.id, at: now, verified, reason });
  const closed = share.revokedAt ? 'share_revoked' : share.expiresAt.getTime() <= now.getTime() ? 'share_expired' : null;
  if (closed) {
    await log(false, closed);
    throw new AppError('gone', closed === 'share_revoked' ? 'the learner revoked this share link' : 'this share link has expired: ask the learner for a new one', {
      reasons: [closed],
    });
  }
  const verification = await verifyPresentedCredential({ db, clock: deps.clock }, credential.jws);
  await log(verification.verified, verification.verified ? null : firstFailure(verification));
  return { verification, credential, share };
}
