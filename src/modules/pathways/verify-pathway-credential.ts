import { compactVerify, decodeProtectedHeader, importJWK } from 'jose';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.js';
import { pathwayIdOfAchievement, schemeIdOfIssuer, statusListIdOf } from '../credentials/credential-ids.js';
import { answerOf, verificationCheckNames, type VerificationAnswer, type VerificationCheck } from '../credentials/verification-answer.js';
import type { ServiceDeps } from '../deps.js';
import { findScheme } from '../schemes/schemes.repo.js';
import { findCompletionByCredentialId, findPathway } from './pathways.repo.js';
import { schemePublicKeys } from './scheme-keys.js';
import { bitAt, decodeStatusList, encodeStatusList, revokedIndexes } from './status-list.js';

const stackedSchema = z.looseObject({
  type: z.array(z.string()).refine((t) => t.includes('VerifiableCredential') && t.includes('OpenBadgeCredential')),
  id: z.string().min(1).max(512),
  issuer: z.union([z.string(), z.looseObject({ id: z.string() })]),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }).optional(),
  credentialSubject: z.looseObject({ id: z.string(), achievement: z.looseObject({ id: z.string(), name: z.string().optional() }) }),
  credentialStatus: z
    .looseObject({ type: z.literal('BitstringStatusListEntry'), statusPurpose: z.string(), statusListIndex: z.string().regex(/^\d{1,9}$/), statusListCredential: z.string() })
    .optional(),
});

const failed = (check: VerificationCheck['check'], reason: string, detail: string): VerificationCheck => ({ check, passed: false, reason, detail });
const passed = (check: VerificationCheck['check']): VerificationCheck => ({ check, passed: true });

/** Nothing a credential says is read before its signature verifies: every other check fails as not checked. */
const unverifiable = (reason: string, detail: string): VerificationAnswer =>
  answerOf([
    failed('signature', reason, detail),
    ...verificationCheckNames.filter((n) => n !== 'signature').map((n) => failed(n, 'not_checked', 'the signature did not verify, so nothing the credential says was read')),
  ], { kind: 'pathway_credential' });

function payloadOf(jws: string): unknown {
  const part = jws.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies a stacked-pathway credential the service issued (a VC-JWT signed
 * with the scheme's key), in the shared answer shape: signature (the scheme's
 * published key, EdDSA only), issuer (the scheme, active), achievement (the
 * pathway exists and this completion is recorded for it), revocation (the
 * credential's bit in the scheme's Bitstring Status List, read from the
 * list as published) and expiry.
 */
export async function verifyPathwayCredential(deps: Pick<ServiceDeps, 'clock'> & { db: Db | Tx }, jws: string): Promise<VerificationAnswer> {
  const now = deps.clock.now();
  let header;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return unverifiable('credential_malformed', 'not a compact JWS');
  }
  if (header.alg !== 'EdDSA') return unverifiable('algorithm_not_allowed', 'a scheme signs with EdDSA only');
  const claimed = stackedSchema.safeParse(payloadOf(jws));
  if (!claimed.success) return unverifiable('credential_malformed', 'not an OpenBadgeCredential the service issues');
  const issuer = typeof claimed.data.issuer === 'string' ? claimed.data.issuer : claimed.data.issuer.id;
  const schemeId = schemeIdOfIssuer(issuer);
  if (!schemeId) return unverifiable('issuer_unknown', 'the issuer is not a scheme of this service');
  const key = (await schemePublicKeys(deps.db, schemeId)).find((k) => k.kid === header.kid);
  if (!key) return unverifiable('signing_key_unknown', 'no key of the scheme has this kid');
  try {
    await compactVerify(jws, await importJWK(key.publicJwk, 'EdDSA'), { algorithms: ['EdDSA'] });
  } catch {
    return unverifiable('signature_invalid', 'the signature does not verify with the scheme\'s key');
  }
  const vc = claimed.data;
  const checks: VerificationCheck[] = [passed('signature')];

  const scheme = await findScheme(deps.db, schemeId);
  checks.push(!scheme ? failed('issuer', 'issuer_unknown', 'no such scheme') : scheme.status !== 'active' ? failed('issuer', 'scheme_closed', 'the scheme is closed') : passed('issuer'));

  const pathwayId = pathwayIdOfAchievement(vc.credentialSubject.achievement.id);
  const pathway = pathwayId ? await findPathway(deps.db, pathwayId) : undefined;
  const completion = await findCompletionByCredentialId(deps.db, vc.id);
  if (!pathway || pathway.schemeId !== schemeId) checks.push(failed('achievement', 'pathway_unknown', 'the achievement is not a pathway of this scheme'));
  else if (!completion || completion.pathwayId !== pathway.id) checks.push(failed('achievement', 'completion_not_recorded', 'no completion of the pathway is recorded for this credential'));
  else checks.push(passed('achievement'));

  const status = vc.credentialStatus;
  if (!status || status.statusPurpose !== 'revocation' || status.statusListCredential !== statusListIdOf(schemeId)) {
    checks.push(failed('revocation', 'status_missing', 'the credential names no revocation entry in its scheme\'s status list'));
  } else {
    const { length, revoked } = await revokedIndexes(deps.db, schemeId);
    const index = Number(status.statusListIndex);
    const set = index >= length || bitAt(decodeStatusList(encodeStatusList(length, revoked)), index);
    checks.push(set ? failed('revocation', 'revoked', 'the scheme has revoked this credential') : passed('revocation'));
  }

  const skew = 5 * 60_000;
  if (new Date(vc.validFrom).getTime() > now.getTime() + skew) checks.push(failed('expiry', 'not_yet_valid', 'validFrom is in the future'));
  else if (vc.validUntil && new Date(vc.validUntil).getTime() <= now.getTime()) checks.push(failed('expiry', 'expired', 'validUntil has passed'));
  else checks.push(passed('expiry'));

  return answerOf(checks, {
    kind: 'pathway_credential',
    credential: {
      id: vc.id, issuer, ...(scheme ? { issuerName: scheme.name } : {}), achievementId: vc.credentialSubject.achievement.id,
      ...(vc.credentialSubject.achievement.name ? { achievementName: vc.credentialSubject.achievement.name } : {}),
      validFrom: vc.validFrom, ...(vc.validUntil ? { validUntil: vc.validUntil } : {}),
    },
  });
}
