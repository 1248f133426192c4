import { describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/lib/ids.js';

describe('newId', () => {
  it('when ids are made, then each is an RFC 9562 version 7 UUID whose first 48 bits are the millisecond it was made', () => {
    vi.useFakeTimers({ now: Date.UTC(2027, 0, 2, 3, 4, 5, 678), toFake: ['Date'] });
    try {
      const id = newId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(Date.UTC(2027, 0, 2, 3, 4, 5, 678));
    } finally {
      vi.useRealTimers();
    }
  });

  it('when many ids are made, then none repeats and ids of later milliseconds sort after earlier ones', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    const ms = ids.map((id) => id.slice(0, 13));
    expect([...ms].sort()).toEqual(ms);
  });
});
