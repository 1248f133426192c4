/**
 * Every event the service publishes (its outbox, src/modules/events/outbox.ts).
 * Providers subscribe to the ones about their own enrolments, claims,
 * payments and recoveries; learners get notices for the ones about them.
 */
export const eventTypes = [
  'enrolment.requested',
  'enrolment.consented',
  'enrolment.declined',
  'enrolment.withdrawn',
  /** A consent request nobody answered within its window. */
  'enrolment.lapsed',
  /** A reservation whose claim window closed with no claim: its credit went back to the learner. */
  'enrolment.expired',
  /** A scan's event: a consent request lapses in two days. */
  'enrolment.consent_due',
  'claim.approved',
  'claim.rejected',
  'claim.review',
  'payment.settled',
  'payment.returned',
  'recovery.opened',
  'recovery.netted',
  /** A scan's event: a grant's credit expires in 30 or in 7 days (data.days). */
  'grant.expiring',
  /** A scan's event: a grant's first-use deadline is 5 days away. */
  'grant.first_use_due',
  'incentive.paid',
  'appeal.decided',
] as const;
export type EventType = (typeof eventTypes)[number];

/** The events a provider's webhook endpoint may subscribe to: those about its own business. */
export const providerEventTypes = eventTypes.filter((t) => /^(enrolment|claim|payment|recovery)\./.test(t) && t !== 'enrolment.consent_due');
