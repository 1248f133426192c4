import { schemeRulesSchema } from '../../src/modules/schemes/scheme-rules.js';
import type { EligibilityInput } from '../../src/modules/eligibility/eligibility.types.js';

export const DAY = 86_400_000;
export const AT = new Date('2026-03-01T00:00:00Z');
export const START = new Date('2026-03-15T01:00:00Z');
export const END = new Date('2026-03-20T09:00:00Z');

type Scheme = EligibilityInput['schemes'][number];
type Grant = EligibilityInput['grants'][number];

export function scheme(id: string, rules: Record<string, unknown> = {}, over: Partial<Omit<Scheme, 'rules'>> = {}): Scheme {
  return { id, name: `Scheme ${id}`, currency: 'SGD', status: 'active', rulesVersion: 1, rules: schemeRulesSchema.parse(rules), ...over };
}

export function grant(id: string, schemeId: string, available: bigint, over: Partial<Grant> = {}): Grant {
  return {
    id,
    schemeId,
    currency: 'SGD',
    available,
    expiresAt: null,
    firstUseDeadline: null,
    firstUsedAt: null,
    status: 'active',
    grantedAt: new Date('2025-01-01T00:00:00Z'),
    ...over,
  };
}

export interface InputOverrides {
  at?: Date;
  learner?: Partial<EligibilityInput['learner']>;
  run?: Partial<EligibilityInput['run']>;
  course?: Partial<EligibilityInput['course']>;
  provider?: Partial<EligibilityInput['provider']>;
  schemes?: Scheme[];
  grants?: Grant[];
  alreadyEnrolled?: boolean;
}

/** A learner (SG citizen, 30, employed, middle income) on a SGD 1,000.00 run approved for scheme "sfc", holding SGD 500.00 under it. */
export function input(o: InputOverrides = {}): EligibilityInput {
  return {
    at: o.at ?? AT,
    learner: { id: 'learner-1', dateOfBirth: '1995-06-10', citizenship: 'SG', employmentStatus: 'employed', incomeGroup: 'middle', ...o.learner },
    run: {
      id: 'run-1',
      courseId: 'course-1',
      providerId: 'provider-1',
      startsAt: START,
      endsAt: END,
      fee: 100_000n,
      currency: 'SGD',
      capacity: 20,
      seatsTaken: 5,
      status: 'scheduled',
      ...o.run,
    },
    course: { id: 'course-1', category: 'it', approvedSchemeIds: ['sfc', 'mid'], ...o.course },
    provider: { id: 'provider-1', status: 'active', ...o.provider },
    schemes: o.schemes ?? [scheme('sfc', { eligibleCitizenships: ['SG'] })],
    grants: o.grants ?? [grant('g1', 'sfc', 50_000n)],
    alreadyEnrolled: o.alreadyEnrolled ?? false,
  };
}
