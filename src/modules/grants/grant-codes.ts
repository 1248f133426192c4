import { sql } from 'drizzle-orm';

/** The transfer codes of a grant from a scheme's budget: an administrator's grant, or a pathway's bonus credit. */
export const grantCodes = ['grant', 'pathway_bonus'] as const;
export type GrantCode = (typeof grantCodes)[number];

/** The codes as an SQL list, for `code in (...)`: what a scheme has granted. */
export const grantCodesSql = sql.raw(grantCodes.map((c) => `'${c}'`).join(', '));
