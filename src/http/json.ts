/** JSON with bigint amounts as strings: money never passes through a float. */
export const stringifyJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
