import type { z } from 'zod';
import type { courses } from '../../db/schema/index.js';
import type { microCredentialSchema } from './courses.schemas.js';

export type MicroCredential = z.output<typeof microCredentialSchema>;
type CourseColumns = typeof courses.$inferSelect;
type MicroCredentialColumns = Pick<
  CourseColumns,
  | 'creditValue' | 'creditSystem' | 'levelFramework' | 'level' | 'skillAlignments' | 'assessmentType' | 'participationForm' | 'qualityAssurance'
  | 'learningOutcomes' | 'awardingCountry'
>;

/** The course columns that hold a micro-credential; all null or empty for plain training. */
export function microCredentialColumns(m: MicroCredential | undefined): MicroCredentialColumns {
  return {
    creditValue: m?.credits ? Number(m.credits.value) : null,
    creditSystem: m?.credits?.system ?? null,
    levelFramework: m?.level.framework ?? null,
    level: m?.level.value ?? null,
    skillAlignments: m?.skills ?? [],
    assessmentType: m?.assessmentType ?? null,
    participationForm: m?.participationForm ?? null,
    qualityAssurance: m?.qualityAssurance ?? null,
    learningOutcomes: m?.learningOutcomes ?? [],
    awardingCountry: m?.awardingCountry ?? null,
  };
}

/** The course's micro-credential, or null when the course is plain training (it has no level). */
export function microCredentialOf(c: MicroCredentialColumns): MicroCredential | null {
  if (c.level === null || c.levelFramework === null) return null;
  return {
    ...(c.creditValue !== null && c.creditSystem !== null ? { credits: { value: String(c.creditValue), system: c.creditSystem } } : {}),
    level: { framework: c.levelFramework, value: c.level },
    skills: c.skillAlignments,
    assessmentType: c.assessmentType ?? '',
    participationForm: c.participationForm ?? 'online',
    qualityAssurance: c.qualityAssurance ?? '',
    learningOutcomes: c.learningOutcomes,
    awardingCountry: c.awardingCountry ?? '',
  };
}
