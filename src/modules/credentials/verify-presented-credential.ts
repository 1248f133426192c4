import type { Db, Tx } from '../../db/client.js';
import { AppError } from '../../lib/app-error.js';
import type { Clock } from '../../lib/clock.js';
import { isRevoked } from '../claims/claims.repo.js';
import { findCourse, findCourseOfModuleAchievement, type CourseRow } from '../courses/courses.repo.js';
import { microCredentialOf } from '../courses/micro-credential.js';
import { activeProviderKeys, findProvider } from '../providers/providers.repo.js';
import { readCredentialContent, type CredentialContent } from './credential-content.js';
import { courseIdOfAchievement, providerIdOfIssuer } from './credential-ids.js';
import { answerOf, type VerificationAnswer, type VerificationCheck } from './verification-answer.js';
import { verifyCredential, type CredentialFailure } from './verify-credential.js';

export interface PresentedCredentialDeps {
  db: Db | Tx;
  clock: Clock;
}

/** The reason code of a check that could not be made because an earlier one failed (the signature, above all). */
export const NOT_CHECKED = 'not_checked';

const passed = (check: VerificationCheck['check']): VerificationCheck => ({ check, passed: true });
const failed = (check: VerificationCheck['check'], reason: string, detail: string): VerificationCheck => ({ check, passed: false, reason, detail });
const notChecked = (check: VerificationCheck['check'], why: string) => failed(check, NOT_CHECKED, `not checked: ${why}`);

const signatureFailures: ReadonlySet<CredentialFailure> = new Set(['credential_malformed', 'algorithm_not_allowed', 'signing_key_unknown', 'signature_invalid']);
const achievementFailures: readonly CredentialFailure[] = ['achievement_mismatch', 'achievement_level_mismatch', 'achievement_workload_mismatch', 'result_missing', 'result_failed'];
const expiryFailures: readonly CredentialFailure[] = ['expired', 'not_yet_valid', 'issued_in_future'];

const words: Partial<Record<string, string>> = {
  credential_malformed: 'the signed payload is not an OpenBadgeCredential this service reads',
  algorithm_not_allowed: 'only EdDSA and ES256 signatures are accepted',
  signing_key_unknown: 'no active key the issuer registered has this kid and algorithm',
  signature_invalid: 'the signature does not verify: the credential was changed after signing, or signed with another key',
  issuer_unknown: 'the issuer is not a provider registered with this service',
  provider_suspended: 'the provider is suspended',
  course_unknown: 'the achievement names no course of this service, nor a module of one of the provider\'s courses',
  course_of_another_provider: 'the course belongs to another provider',
  course_not_approved: 'the course is not approved under any scheme',
  achievement_mismatch: 'the achievement is not the course it names',
  achievement_level_mismatch: 'the signed level is not the course\'s',
  achievement_workload_mismatch: 'the signed learning hours or credits are not the course\'s',
  result_missing: 'the credential carries no outcome result',
  result_failed: 'the signed outcome is not Completed',
  revoked: 'the provider revoked this credential',
  expired: 'its validity has ended',
  not_yet_valid: 'it is not valid yet',
  issued_in_future: 'it says it was issued in the future',
};
const fail = (check: VerificationCheck['check'], reasons: string[]) =>
  failed(check, reasons[0]!, reasons.map((r) => words[r] ?? r).join('; '));

const publicContent = (c: CredentialContent): NonNullable<VerificationAnswer['credential']> => ({
  id: c.id,
  issuer: c.issuer,
  ...(c.issuerName ? { issuerName: c.issuerName } : {}),
  achievementId: c.achievementId,
  ...(c.achievementName ? { achievementName: c.achievementName } : {}),
  validFrom: c.validFrom.toISOString(),
  ...(c.validUntil ? { validUntil: c.validUntil.toISOString() } : {}),
});

/**
 * Verifies a provider's completion credential presented by anyone (an
 * employer), with no claim and no run in question: the signature against the
 * provider's registered keys, the provider in good standing, the course (or
 * the modular course whose module it is) approved under a scheme, not revoked, not expired. verifyCredential owns the
 * signature, date and result checks; this adds what a claim checks elsewhere.
 * A string that is not a compact JWS carrying a credential is a 422 naming
 * `body.credential`: there is nothing to answer about.
 */
export async function verifyPresentedCredential(deps: PresentedCredentialDeps, jws: string): Promise<VerificationAnswer> {
  const claimed = readCredentialContent(jws);
  if (!claimed) {
    throw new AppError('validation_failed', 'the request is not valid', {
      errors: [{ path: 'body.credential', message: 'must be a compact JWS (VC-JWT) whose payload is an OpenBadgeCredential' }],
    });
  }
  const kind = 'completion_credential' as const;
  const providerId = providerIdOfIssuer(claimed.issuer);
  const provider = providerId ? await findProvider(deps.db, providerId) : undefined;
  if (!providerId || !provider) {
    const why = 'the issuer is unknown, so there is no key to check the signature with';
    return answerOf(
      [fail('signature', ['signing_key_unknown']), fail('issuer', ['issuer_unknown']), notChecked('achievement', why), notChecked('revocation', why), notChecked('expiry', why)],
      { kind },
    );
  }
  const { course, module } = await achievedCourse(deps.db, providerId, claimed.achievementId);
  const verified = await verifyCredential(jws, {
    providerId,
    keys: await activeProviderKeys(deps.db, providerId),
    // An unknown course still lets the signature be checked; its achievement check fails below whatever this says.
    courseId: course?.id ?? '',
    ...(module ? { achievementId: claimed.achievementId } : {}),
    course: course ? { hours: course.hours, microCredential: microCredentialOf(course) } : { hours: 0, microCredential: null },
    now: deps.clock.now(),
  });
  const issuer = provider.status === 'active' ? passed('issuer') : fail('issuer', ['provider_suspended']);
  const signatureFailure = verified.failures.find((f) => signatureFailures.has(f));
  if (signatureFailure || !verified.id) {
    const why = 'the signature did not verify, so nothing the credential says can be relied on';
    return answerOf(
      [fail('signature', [signatureFailure ?? 'credential_malformed']), issuer, notChecked('achievement', why), notChecked('revocation', why), notChecked('expiry', why)],
      { kind },
    );
  }
  const achievementReasons = !course
    ? ['course_unknown']
    : course.providerId !== providerId
      ? ['course_of_another_provider']
      : [...(course.approvedSchemeIds.length === 0 ? ['course_not_approved'] : []), ...verified.failures.filter((f) => achievementFailures.includes(f))];
  const expiryReasons = verified.failures.filter((f) => expiryFailures.includes(f));
  return answerOf(
    [
      passed('signature'),
      issuer,
      achievementReasons.length === 0 ? passed('achievement') : fail('achievement', achievementReasons),
      (await isRevoked(deps.db, providerId, verified.id)) ? fail('revocation', ['revoked']) : passed('revocation'),
      expiryReasons.length === 0 ? passed('expiry') : fail('expiry', expiryReasons),
    ],
    { kind, credential: { ...publicContent(claimed), ...(course && module ? { module: { ...module, courseId: course.id, courseTitle: course.title } } : {}) } },
  );
}

/**
 * The course a credential's achievement is: the course's own achievement id, or the achievement the provider signs for
 * one module of its modular course (the module then named).
 */
async function achievedCourse(
  db: Db | Tx, providerId: string, achievementId: string,
): Promise<{ course?: CourseRow; module?: { ordinal: number; title: string } }> {
  const courseId = courseIdOfAchievement(achievementId);
  if (courseId) {
    const course = await findCourse(db, courseId);
    return course ? { course } : {};
  }
  const found = await findCourseOfModuleAchievement(db, providerId, achievementId);
  if (!found) return {};
  return { course: found.course, module: { ordinal: found.ordinal, title: found.course.modules[found.ordinal - 1]!.title } };
}
