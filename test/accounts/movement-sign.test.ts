import { describe, expect, it } from 'vitest';
import { movementSign, signAddsCredit } from '../../src/modules/accounts/describe-movement.js';
import { grantCodes, grantReturnCodes } from '../../src/modules/grants/grant-codes.js';

describe('the sign of a movement', () => {
  it.each(grantCodes.filter((c) => c !== 'appeal_reinstatement'))('when a grant is booked with code %s, then the learner sees credit granted, with a plus', (code) => {
    const sign = movementSign({ code, kind: 'single' } as Parameters<typeof movementSign>[0]);
    expect(sign).toBe('granted');
    expect(signAddsCredit(sign)).toBe(true);
  });

  it('when credit is granted again after an appeal, then the learner sees it reinstated, with a plus', () => {
    const sign = movementSign({ code: 'appeal_reinstatement', kind: 'posted' } as Parameters<typeof movementSign>[0]);
    expect(sign).toBe('reinstated');
    expect(signAddsCredit(sign)).toBe(true);
  });
});

describe('the sign of credit going back to the scheme', () => {
  it.each(grantReturnCodes.filter((c) => c !== 'grant_expiry'))('when credit leaves a grant with code %s, then the learner sees it lapse, with a minus', (code) => {
    const sign = movementSign({ code, kind: 'posted' } as Parameters<typeof movementSign>[0]);
    expect(sign).toBe('lapsed');
    expect(signAddsCredit(sign)).toBe(false);
  });
});
