import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitAt, decodeStatusList, encodeStatusList, STATUS_LIST_LENGTH } from '../../src/modules/pathways/status-list.js';

describe('Bitstring Status List encoding', () => {
  it('when any set of indexes is encoded and decoded, then exactly those bits are set, index 0 being the first byte\'s left-most bit', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: STATUS_LIST_LENGTH - 1 }), { maxLength: 40 }), fc.integer({ min: 0, max: STATUS_LIST_LENGTH - 1 }), (set, probe) => {
        const encoded = encodeStatusList(STATUS_LIST_LENGTH, set);
        expect(encoded).toMatch(/^u[A-Za-z0-9_-]+$/);
        const bits = decodeStatusList(encoded);
        expect(bits.length).toBe(STATUS_LIST_LENGTH / 8);
        expect(bitAt(bits, probe)).toBe(set.includes(probe));
        for (const i of set) expect(bitAt(bits, i)).toBe(true);
      }),
      { numRuns: 50 },
    );
    expect(decodeStatusList(encodeStatusList(STATUS_LIST_LENGTH, [0]))[0]).toBe(0x80);
    expect(decodeStatusList(encodeStatusList(STATUS_LIST_LENGTH, [9]))[1]).toBe(0x40);
  });

  it('when an index is outside the list, then encoding refuses it', () => {
    expect(() => encodeStatusList(STATUS_LIST_LENGTH, [STATUS_LIST_LENGTH])).toThrow(RangeError);
    expect(() => encodeStatusList(STATUS_LIST_LENGTH, [-1])).toThrow(RangeError);
  });
});
