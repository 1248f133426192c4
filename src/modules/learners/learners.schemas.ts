import { z } from 'zod';
import type { LearnerRow } from './learners.repo.js';
import { employmentStatuses, incomeGroups } from '../schemes/scheme-rules.js';

const country = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code');
const isoDate = z.iso.date('must be a date as YYYY-MM-DD');

export const learnerIdParams = z.strictObject({ learnerId: z.uuid() });

export const createLearnerBody = z
  .strictObject({
    country,
    nationalId: z.string().min(1).max(32).meta({ description: 'Validated per country; never returned or logged in full' }),
    fullName: z.string().trim().min(1).max(200),
    dateOfBirth: isoDate,
    citizenship: country,
    employmentStatus: z.enum(employmentStatuses),
    incomeGroup: z.enum(incomeGroups),
  })
  .meta({ id: 'CreateLearner' });

export const updateLearnerBody = z
  .strictObject({
    fullName: z.string().trim().min(1).max(200).optional(),
    employmentStatus: z.enum(employmentStatuses).optional(),
    incomeGroup: z.enum(incomeGroups).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one field to change')
  .meta({ id: 'UpdateLearner' });

export const lookupLearnerBody = z
  .strictObject({ country, nationalId: z.string().min(1).max(32) })
  .meta({ id: 'LookupLearner', description: 'Sent in a body, not the URL, so the id never lands in access logs' });

export const learnerSchema = z
  .object({
    id: z.uuid(),
    country: z.string(),
    nationalIdMasked: z.string().nullable().meta({ description: 'Null once the learner\'s personal data is erased' }),
    subjectId: z.string().meta({ description: 'Pseudonymous identifier used as credential subject' }),
    fullName: z.string().nullable().meta({ description: 'Null once erased' }),
    dateOfBirth: z.string().nullable().meta({ description: 'Null once erased' }),
    citizenship: z.string(),
    employmentStatus: z.string(),
    incomeGroup: z.string(),
    createdAt: z.string(),
    erasedAt: z.string().nullable().meta({ description: 'When the learner\'s personal data was erased (the row stays, so the ledger stays linked)' }),
  })
  .meta({ id: 'Learner' });

export const learnerView = (l: LearnerRow) => ({
  id: l.id,
  country: l.country,
  nationalIdMasked: l.nationalIdMasked,
  subjectId: l.subjectId,
  fullName: l.fullName,
  dateOfBirth: l.dateOfBirth,
  citizenship: l.citizenship,
  employmentStatus: l.employmentStatus,
  incomeGroup: l.incomeGroup,
  createdAt: l.createdAt.toISOString(),
  erasedAt: l.erasedAt?.toISOString() ?? null,
});
