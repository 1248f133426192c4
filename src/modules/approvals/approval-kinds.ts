import { appealReinstatement } from '../appeals/appeal-reinstatement.js';
import { reviewDecision } from '../claims/claims.service.js';
import { learnerErasure } from '../data-rights/erasure.service.js';
import { batchRelease } from '../disbursements/disbursements.service.js';
import { learnerPayeeChange } from '../learners/payee-account/payee-account.service.js';
import { payeeChange } from '../providers/payee-change.js';
import { claimReversal } from '../recoveries/reverse-claim.js';
import type { ApprovalKind } from './approvals.service.js';

/** Every action that takes two people, by kind. Each room defines its own; this is the one list. */
export const approvalKinds: ReadonlyMap<string, ApprovalKind> = new Map([batchRelease, reviewDecision, claimReversal, payeeChange, learnerPayeeChange, appealReinstatement, learnerErasure].map((k) => [k.kind, k]));
