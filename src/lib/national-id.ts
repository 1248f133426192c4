import { createHmac } from 'node:crypto';

/**
 * National identifiers are kept as a keyed hash (for look-up) and a masked
 * form (for display). The clear value exists only in the request that
 * carries it.
 */
export interface NationalIdProtector {
  hash(country: string, nationalId: string): Buffer;
  mask(nationalId: string): string;
}

export function createNationalIdProtector(key: string): NationalIdProtector {
  if (key.length < 32) throw new Error('the national id key must be at least 32 characters');
  return {
    hash: (country, nationalId) => createHmac('sha256', key).update(`${country}:${normalise(nationalId)}`).digest(),
    mask: (nationalId) => {
      const v = normalise(nationalId);
      // Singapore practice (PDPC): show only the last four characters, e.g. *****567D.
      const keep = Math.min(4, Math.floor(v.length / 2));
      return `${'*'.repeat(v.length - keep)}${v.slice(-keep)}`;
    },
  };
}

export const normalise = (nationalId: string): string => nationalId.replace(/[\s-]/g, '').toUpperCase();

/** Format and checksum per country. Returns a reason when invalid. */
export function nationalIdProblem(country: string, raw: string): string | undefined {
  const id = normalise(raw);
  switch (country) {
    case 'SG':
      return sgNricProblem(id);
    case 'ID':
      return /^\d{16}$/.test(id) ? undefined : 'an Indonesian NIK is 16 digits';
    case 'FR':
      return frNirProblem(id);
    case 'MY':
      return /^\d{12}$/.test(id) ? undefined : 'a Malaysian MyKad number is 12 digits';
    default:
      return /^[A-Z0-9]{5,20}$/.test(id) ? undefined : 'must be 5 to 20 letters or digits';
  }
}

const nricWeights = [2, 7, 6, 5, 4, 3, 2];
function sgNricProblem(id: string): string | undefined {
  const m = /^([STFGM])(\d{7})([A-Z])$/.exec(id);
  if (!m) return 'a Singapore NRIC/FIN is a letter S, T, F, G or M, 7 digits and a check letter';
  const [, prefix, digits, check] = m as unknown as [string, string, string, string];
  let sum = [...digits].reduce((s, d, i) => s + Number(d) * nricWeights[i]!, 0);
  if (prefix === 'T' || prefix === 'G') sum += 4;
  if (prefix === 'M') sum += 3;
  const letters = prefix === 'S' || prefix === 'T' ? 'JZIHGFEDCBA' : prefix === 'M' ? 'KLJNPQRTUWX' : 'XWUTRQPNMLK';
  const expected = prefix === 'M' ? letters[10 - (sum % 11)] : letters[sum % 11];
  return expected === check ? undefined : 'the check letter does not match';
}

function frNirProblem(id: string): string | undefined {
  if (!/^[12]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)\d{6}\d{2}$/.test(id)) return 'a French NIR is 13 characters and a 2-digit key';
  const body = id.slice(0, 13).replace('2A', '19').replace('2B', '18');
  const key = 97n - (BigInt(body) % 97n);
  return key === BigInt(id.slice(13)) ? undefined : 'the NIR key does not match';
}

/*
 * Finding national ids in free text (log lines, error messages, URLs).
 *
 * `nationalIdProblem` above accepts an id with whitespace or dashes anywhere
 * (`normalise` strips them) and in either case, so the patterns below allow a
 * few separators between any two characters and ignore case:
 * - SG NRIC/FIN: S, T, F, G or M, 7 digits, a letter;
 * - FR NIR: sex, year, month, département (2 digits, or 2A/2B for Corsica),
 *   commune and order, with or without the 2-digit key;
 * - MY MyKad (12 digits, usually YYMMDD-PB-###G) and ID NIK (16 digits);
 * - any other run of 9 to 20 digits, the shape of most other countries' ids
 *   (the catch-all format above also takes letters; a word cannot be told
 *   from an id, so those are left to field redaction).
 * An id counts only when no letter or digit touches it. UUIDs are matched
 * first and kept, so request and record ids are never cut into.
 */
const sep = '[\\s-]{0,3}';
const chars = (...parts: string[]) => parts.join(sep);
const digits = (n: number) => chars(...Array.from({ length: n }, () => '\\d'));
const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const sgNric = chars('[STFGM]', digits(7), '[A-Z]');
const frNir = chars(
  '[12]', digits(2),
  `(?:${chars('0', '[1-9]')}|${chars('1', '[0-2]')}|${chars('[2-9]', '\\d')})`,
  `(?:${chars('\\d', '\\d')}|${chars('2', '[AB]')})`,
  digits(6),
) + `(?:${sep}${digits(2)})?`;
const myKadOrNik = `${digits(12)}(?:${sep}${digits(4)})?`;
const digitRun = '\\d{9,20}';
const idInText = new RegExp(
  `(?<![A-Z0-9])(?:(${uuid})|${sgNric}|${frNir}|${myKadOrNik}|${digitRun})(?![A-Z0-9])`,
  'gi',
);

export const MASKED_NATIONAL_ID = '[national-id]';

/** Replaces every national id this service accepts, in any of its written forms, wherever it appears in the text. */
export function maskNationalIds(text: string): string {
  return text.replace(idInText, (match, keptUuid: string | undefined) => (keptUuid ? match : MASKED_NATIONAL_ID));
}
