import { formatMoney, type Currency } from '../../lib/money.js';
import type { MovementRow } from './accounts.repo.js';

/** A plain-language line for a citizen's statement. */
export function describeMovement(m: MovementRow): string {
  const money = formatMoney(m.amount, m.currency as Currency);
  switch (m.code) {
    case 'grant':
      return `${money} credit granted under ${m.schemeName}`;
    case 'pathway_bonus':
      return `${money} bonus credit granted under ${m.schemeName} for completing a pathway`;
    case 'appeal_reinstatement':
      return `${money} of ${m.schemeName} credit reinstated after appeal`;
    case 'grant_expiry':
      return `${money} of unused ${m.schemeName} credit expired and returned to the scheme`;
    case 'grant_revocation':
      return `${money} of ${m.schemeName} credit lapsed: it was not used by the first-use deadline`;
    case 'pathway_bonus_revocation':
      return `${money} of unspent ${m.schemeName} bonus credit returned to the scheme: the pathway it rewarded no longer counts as completed, because a course claim in it was reversed`;
    case 'claim_reversal':
      return `${money} returned to your credit: the payment to the training provider for ${courseOf(m)} was reversed`;
    default:
      return describeEnrolmentMovement(m, money);
  }
}

const courseOf = (m: MovementRow) => (m.course ? `${m.course.title}, run starting ${m.course.runStarts}` : 'a course');

function describeEnrolmentMovement(m: MovementRow, money: string): string {
  const course = courseOf(m);
  switch (m.kind) {
    case 'pending':
      return m.counterOfficer
        ? `${money} reserved for ${course}, agreed at a service counter with officer ${m.counterOfficer}`
        : `${money} reserved for ${course}`;
    case 'post_pending':
      return m.returned > 0n
        ? `${money} paid to the training provider for ${course}; the other ${formatMoney(m.returned, m.currency as Currency)} reserved for it returned to your credit`
        : `${money} paid to the training provider for ${course}`;
    case 'void_pending':
      return `Reservation of ${money} for ${course} released back to your credit`;
    case 'expire_pending':
      return `Reservation of ${money} for ${course} expired and was released back to your credit`;
    default:
      return `${m.direction === 'credit' ? 'Received' : 'Used'} ${money} (${m.code})`;
  }
}

/**
 * What a movement did to a person's credit, in the signs a statement shows:
 * the one classification of movements that the API (`sign`) and the pages
 * (translated words per sign) share. A release is money coming back, though
 * the ledger books it as a void of the debit.
 */
export const movementSigns = ['granted', 'reserved', 'released', 'paid', 'expired', 'lapsed', 'reinstated', 'other'] as const;
export type MovementSign = (typeof movementSigns)[number];

export function movementSign(m: Pick<MovementRow, 'code' | 'kind'>): MovementSign {
  switch (m.code) {
    case 'grant':
    case 'pathway_bonus':
      return 'granted';
    case 'grant_expiry':
      return 'expired';
    case 'grant_revocation':
    case 'pathway_bonus_revocation':
      return 'lapsed';
    case 'claim_reversal':
    case 'appeal_reinstatement':
      return 'reinstated';
  }
  switch (m.kind) {
    case 'pending':
      return 'reserved';
    case 'post_pending':
      return 'paid';
    case 'void_pending':
    case 'expire_pending':
      return 'released';
    default:
      return 'other';
  }
}

/** Whether the movement adds to (+) or takes from (−) what the person can spend. */
export const signAddsCredit = (sign: MovementSign): boolean => sign === 'granted' || sign === 'released' || sign === 'reinstated';
