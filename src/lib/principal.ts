/**
 * Who is calling, as the verified token says: one of five roles, with the learner or provider it speaks for.
 * An `analyst` (policy research) may call only aggregate report routes and never sees a person.
 * A `counter` officer (assisted digital) acts at a service counter for a learner who is present, with the learner's
 * consent attested on every action; the officer is named by their subject in the audit trail and the learner's history.
 */
export const roles = ['citizen', 'provider', 'finance', 'admin', 'analyst', 'counter'] as const;
export type Role = (typeof roles)[number];

export type Principal =
  | { role: 'citizen'; subject: string; learnerId: string }
  | { role: 'provider'; subject: string; providerId: string }
  | { role: 'finance'; subject: string }
  | { role: 'admin'; subject: string }
  | { role: 'analyst'; subject: string }
  | { role: 'counter'; subject: string };
