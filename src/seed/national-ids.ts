/**
 * Generators of syntactically valid (checksummed) national identifiers for
 * demo and test data. They pass `nationalIdProblem` in src/lib/national-id.ts
 * but are derived from a small serial number, not from real people.
 */

const nricWeights = [2, 7, 6, 5, 4, 3, 2];

/** A Singapore NRIC: S (born before 2000) or T (2000 onwards), 7 digits, check letter. */
export function singaporeNric(serial: number, bornIn: number): string {
  const prefix = bornIn >= 2000 ? 'T' : 'S';
  // NRICs start with the last two digits of the birth year for those born from 1968.
  const digits = `${String(bornIn % 100).padStart(2, '0')}${String(serial % 100_000).padStart(5, '0')}`;
  let sum = [...digits].reduce((s, d, i) => s + Number(d) * nricWeights[i]!, 0);
  if (prefix === 'T') sum += 4;
  return `${prefix}${digits}${'JZIHGFEDCBA'[sum % 11]}`;
}

/** An Indonesian NIK: 6-digit region, DDMMYY of birth (day + 40 for women), 4-digit serial. */
export function indonesianNik(serial: number, dateOfBirth: string, female: boolean, region = '317101'): string {
  const [y, m, d] = dateOfBirth.split('-') as [string, string, string];
  const day = Number(d) + (female ? 40 : 0);
  return `${region}${String(day).padStart(2, '0')}${m}${y.slice(2)}${String(serial % 10_000).padStart(4, '0')}`;
}

/** A French NIR: sex, YY, MM, department, commune, order, and the mod-97 key. */
export function frenchNir(serial: number, dateOfBirth: string, female: boolean, department = '75', commune = '056'): string {
  const [y, m] = dateOfBirth.split('-') as [string, string, string];
  const body = `${female ? 2 : 1}${y.slice(2)}${m}${department}${commune}${String(serial % 1000).padStart(3, '0')}`;
  const key = 97n - (BigInt(body) % 97n);
  return `${body}${String(key).padStart(2, '0')}`;
}
