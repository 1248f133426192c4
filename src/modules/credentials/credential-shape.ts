import type { MicroCredential } from '../courses/micro-credential.js';
import { achievementIdOf, issuerIdOf } from './credential-ids.js';

/** The ResultDescription ids a credential's results refer to (OB 3.0 `Result.resultDescription`). */
export const resultDescriptionIds = {
  attendance: 'urn:learning-credits:result:attendance',
  outcome: 'urn:learning-credits:result:outcome',
} as const;

/** OB 3.0 ResultStatusType values a completion may carry; only Completed is a pass. */
export type ResultStatus = 'Completed' | 'Failed';

export interface CourseFacts {
  courseId: string;
  title: string;
  hours: number;
  microCredential: MicroCredential | null;
  /** For one module of a modular course: the achievement the course lists for it, named by the module's title. */
  module?: { achievementId: string; title: string } | undefined;
}

export interface CompletionFacts {
  providerId: string;
  /** The awarding body's name, as the issuer Profile's name. */
  issuerName?: string | undefined;
  subjectId: string;
  course: CourseFacts;
  id: string;
  validFrom: Date;
  validUntil?: Date | undefined;
  /** Basis points (7500 = 75%); signed as a Percent result. Omitted when the course took no attendance. */
  attendanceBps?: number | undefined;
  status: ResultStatus;
  grade?: string | undefined;
}

/** The percent string a Percent result carries for an attendance in basis points: 7550 is "75.5". */
export const percentOf = (bps: number) => String(bps / 100);

/** A Percent result value ("75", "75.5", "75.25") in basis points; null when it is not a percentage from 0 to 100. */
export function basisPointsOf(percent: string): number | null {
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(percent)) return null;
  const bps = Math.round(Number(percent) * 100);
  return bps <= 10_000 ? bps : null;
}

const alignmentOf = (skill: string) =>
  skill.startsWith('http')
    ? { type: ['Alignment'], targetType: skill.includes('data.europa.eu/esco/') ? 'ext:ESCOSkill' : 'ext:Skill', targetName: skill, targetUrl: skill }
    : { type: ['Alignment'], targetType: 'ext:SkillsFrameworkCode', targetName: skill, targetCode: skill.slice(skill.indexOf(':') + 1), targetFramework: skill.slice(0, skill.indexOf(':')) };

/**
 * The Open Badges 3.0 Achievement of a course. The EU Council Recommendation elements OB 3.0 has no field for travel
 * in the `euMicroCredential` extension property.
 */
export function achievementOf(course: CourseFacts): Record<string, unknown> {
  const m = course.microCredential;
  return {
    id: course.module?.achievementId ?? achievementIdOf(course.courseId),
    type: ['Achievement'],
    achievementType: m ? 'MicroCredential' : 'Course',
    name: course.module?.title ?? course.title,
    criteria: { narrative: m ? m.learningOutcomes.join('\n') : 'Completed the course run' },
    resultDescription: [
      { id: resultDescriptionIds.attendance, type: ['ResultDescription'], name: 'Attendance', resultType: 'Percent' },
      { id: resultDescriptionIds.outcome, type: ['ResultDescription'], name: 'Assessment result', resultType: 'Status' },
    ],
    ...(m
      ? {
          alignment: m.skills.map(alignmentOf),
          ...(m.credits?.system === 'ECTS' ? { creditsAvailable: Number(m.credits.value) } : {}),
          euMicroCredential: {
            learningHours: course.hours,
            ...(m.credits ? { credits: m.credits } : {}),
            level: m.level,
            learningOutcomes: m.learningOutcomes,
            assessmentType: m.assessmentType,
            participationForm: m.participationForm,
            qualityAssurance: m.qualityAssurance,
            awardingCountry: m.awardingCountry,
          },
        }
      : {}),
  };
}

/** An OpenBadgeCredential (VC 2.0) of a completion, as the payload of a VC-JWT. */
export function completionCredential(f: CompletionFacts): Record<string, unknown> {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    id: f.id,
    issuer: { id: issuerIdOf(f.providerId), type: ['Profile'], ...(f.issuerName ? { name: f.issuerName } : {}) },
    validFrom: f.validFrom.toISOString(),
    ...(f.validUntil ? { validUntil: f.validUntil.toISOString() } : {}),
    credentialSubject: {
      id: f.subjectId,
      type: ['AchievementSubject'],
      achievement: achievementOf(f.course),
      result: [
        ...(f.attendanceBps !== undefined ? [{ type: ['Result'], resultDescription: resultDescriptionIds.attendance, value: percentOf(f.attendanceBps) }] : []),
        { type: ['Result'], resultDescription: resultDescriptionIds.outcome, status: f.status, ...(f.grade ? { value: f.grade } : {}) },
      ],
    },
  };
}
