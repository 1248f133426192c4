import { pathwayAchievementIdOf, schemeIssuerIdOf } from '../credentials/credential-ids.js';
import { statusEntryOf } from './status-list.js';

export interface StackedFacts {
  completionId: string;
  scheme: { id: string; name: string };
  pathway: { id: string; name: string; description: string; criteria: string };
  subjectId: string;
  issuedAt: Date;
  statusIndex: number;
  /** The component completions: the course, and the provider's credential that proved it. */
  components: { courseTitle: string; credentialId: string | null; completedAt: Date }[];
}

/**
 * The credential the scheme issues for a completed pathway: an Open Badges
 * 3.0 OpenBadgeCredential (VC 2.0 data model), issued by the scheme, whose
 * Achievement is the pathway with achievementType `Certificate` (OB 3.0
 * §B.1.3 Achievement, AchievementType enumeration). The component
 * achievements are listed as the credential's `evidence` (OB 3.0
 * AchievementCredential.evidence and §B.1.10 Evidence: "the work that the
 * recipient did to earn the achievement"), one Evidence per counted course,
 * its id the provider's completion credential. Revocation is a W3C
 * BitstringStatusListEntry. No validUntil: a stack does not expire; it is
 * revoked when it must end.
 */
export function stackedCredential(f: StackedFacts): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    id: `urn:uuid:${f.completionId}`,
    name: f.pathway.name,
    issuer: { id: schemeIssuerIdOf(f.scheme.id), type: ['Profile'], name: f.scheme.name },
    validFrom: f.issuedAt.toISOString(),
    credentialSubject: {
      id: f.subjectId,
      type: ['AchievementSubject'],
      achievement: {
        id: pathwayAchievementIdOf(f.pathway.id),
        type: ['Achievement'],
        achievementType: 'Certificate',
        name: f.pathway.name,
        description: f.pathway.description,
        criteria: { narrative: f.pathway.criteria },
      },
    },
    evidence: f.components.map((c) => ({
      ...(c.credentialId ? { id: c.credentialId } : {}),
      type: ['Evidence'],
      name: c.courseTitle,
      description: `Completed on ${c.completedAt.toISOString().slice(0, 10)}`,
      genre: 'Course completion',
    })),
    credentialStatus: statusEntryOf(f.scheme.id, f.statusIndex),
  };
}

/** The pathway's criteria in words, as the achievement states them. */
export function criteriaOf(rule: { required: number; total: number; withinMonths: number | null }, courseTitles: string[]): string {
  const how = rule.required === rule.total ? `All ${rule.total} courses` : `Any ${rule.required} of ${rule.total} courses`;
  const within = rule.withinMonths ? `, the first and the last within ${rule.withinMonths} months` : '';
  return `${how}${within}: ${courseTitles.join('; ')}`;
}
