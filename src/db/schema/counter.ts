import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { enrolments } from './enrolments.js';
import { learners } from './entitlements.js';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** A look-up opens a visit (the staff read of personal data, with its reason); consents and declines act within it. */
export const counterActions = ['lookup', 'consent', 'decline'] as const;
export type CounterAction = (typeof counterActions)[number];
/** How the officer checked that the person at the counter is the learner. */
export const identityChecks = ['nric_card', 'ktp_card', 'passport', 'driving_licence', 'work_pass'] as const;
export type IdentityCheck = (typeof identityChecks)[number];

/** What a service-counter officer did for a learner who was present (drizzle/0030_counter_officers.sql). */
export const counterActs = pgTable(
  'counter_acts',
  {
    id: uuid('id').primaryKey(),
    learnerId: uuid('learner_id').notNull().references(() => learners.id),
    /** The look-up that opened the visit; a look-up is its own visit. */
    visitId: uuid('visit_id').notNull(),
    officerSubject: text('officer_subject').notNull(),
    action: text('action', { enum: counterActions }).notNull(),
    enrolmentId: uuid('enrolment_id').references(() => enrolments.id),
    /** Why the officer looked the learner up: a look-up only. */
    reason: text('reason'),
    learnerPresent: boolean('learner_present').notNull(),
    identityCheck: text('identity_check', { enum: identityChecks }).notNull(),
    requestId: text('request_id'),
    at: ts('at').notNull(),
  },
  (t) => [
    index('counter_acts_learner_idx').on(t.learnerId, t.at),
    index('counter_acts_visit_idx').on(t.visitId),
    index('counter_acts_enrolment_idx').on(t.enrolmentId).where(sql`${t.enrolmentId} is not null`),
    check('counter_acts_action', sql`${t.action} in ('lookup', 'consent', 'decline')`),
    check('counter_acts_present', sql`${t.learnerPresent}`),
    check('counter_acts_identity_check', sql`${t.identityCheck} in ('nric_card', 'ktp_card', 'passport', 'driving_licence', 'work_pass')`),
    check('counter_acts_lookup_reason', sql`(${t.action} = 'lookup') = (${t.reason} is not null) AND (${t.action} <> 'lookup' OR ${t.visitId} = ${t.id})`),
    check('counter_acts_enrolment', sql`(${t.action} in ('consent', 'decline')) = (${t.enrolmentId} is not null)`),
  ],
);
