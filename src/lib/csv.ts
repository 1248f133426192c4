const plainNumber = /^-?\d+$/;

/**
 * One CSV field per RFC 4180, safe to open in a spreadsheet: text starting
 * with = + - @ (or tab/CR, which some apps strip first) gets a leading single
 * quote so it is never run as a formula. Whole numbers (amounts, possibly
 * negative) are left as they are unless `textOnly` says the column never
 * holds numbers (a name that looks like -2 is still text there).
 */
export function csvField(value: string | number | boolean | null | undefined, options: { textOnly?: boolean } = {}): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if ((options.textOnly || !plainNumber.test(s)) && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export const csvLine = (fields: readonly (string | number | boolean | null | undefined)[]): string => `${fields.map((f) => csvField(f)).join(',')}\r\n`;
