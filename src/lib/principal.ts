/** Who is calling, as the verified token says: one of four roles, with the learner or provider it speaks for. */
export const roles = ['citizen', 'provider', 'finance', 'admin'] as const;
export type Role = (typeof roles)[number];

export type Principal =
  | { role: 'citizen'; subject: string; learnerId: string }
  | { role: 'provider'; subject: string; providerId: string }
  | { role: 'finance'; subject: string }
  | { role: 'admin'; subject: string };
