import { sql } from 'drizzle-orm';

/** The transfer codes of a grant from a scheme's budget: an administrator's grant, a pathway's bonus credit, or credit reinstated after an appeal. */
export const grantCodes = ['grant', 'pathway_bonus', 'appeal_reinstatement'] as const;
export type GrantCode = (typeof grantCodes)[number];

/** The codes as an SQL list, for `code in (...)`: what a scheme has granted. */
export const grantCodesSql = sql.raw(grantCodes.map((c) => `'${c}'`).join(', '));

/** The transfer code of a revoked pathway completion's unspent bonus going back to the scheme's budget. */
export const BONUS_REVOCATION = 'pathway_bonus_revocation';

/** The codes of credit coming back from learners' grants to a scheme's budget when a grant ends or is taken back. */
export const grantReturnCodes = ['grant_expiry', 'grant_revocation', BONUS_REVOCATION] as const;
export const grantReturnCodesSql = sql.raw(grantReturnCodes.map((c) => `'${c}'`).join(', '));
