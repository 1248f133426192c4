import { describe, expect, it } from 'vitest';
import { movementSign, signAddsCredit } from '../../src/modules/accounts/describe-movement.js';
import { grantCodes } from '../../src/modules/grants/grant-codes.js';

describe('the sign of a movement', () => {
  it.each(grantCodes)('when a grant is booked with code %s, then the learner sees credit granted, with a plus', (code) => {
    const sign = movementSign({ code, kind: 'single' } as Parameters<typeof movementSign>[0]);
    expect(sign).toBe('granted');
    expect(signAddsCredit(sign)).toBe(true);
  });
});
