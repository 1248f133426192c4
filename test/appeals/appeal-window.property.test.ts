import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/lib/dates.js';
import { appealWindowRefusal } from '../../src/modules/appeals/appeal-window.js';

const closedAt = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true });

describe('appeal window', () => {
  it('is open exactly from the closing moment to windowDays later, both ends included', () => {
    fc.assert(fc.property(closedAt, fc.integer({ min: 1, max: 365 }), fc.integer({ min: -400 * DAY_MS, max: 400 * DAY_MS }), (closed, days, offset) => {
      const now = new Date(closed.getTime() + offset);
      const open = offset >= 0 && offset <= days * DAY_MS;
      expect(appealWindowRefusal(closed, days, now)).toBe(open ? null : 'appeal_window_closed');
    }));
  });

  it('with a window of 0 days, never takes an appeal', () => {
    fc.assert(fc.property(closedAt, fc.integer({ min: -DAY_MS, max: DAY_MS }), (closed, offset) => {
      expect(appealWindowRefusal(closed, 0, new Date(closed.getTime() + offset))).toBe('appeals_not_offered');
    }));
  });
});
