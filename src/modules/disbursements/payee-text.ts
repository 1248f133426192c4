/**
 * What text a bank payment file can carry: the one owner of these rules.
 * The payment files check every line with them, provider registration and
 * update check payee names and account names with them, and the treasury
 * configuration checks the debtor's name with them, so a value that a file
 * could not carry is refused where it is typed, never in the middle of a payout.
 *
 * Two profiles:
 * - `iso`: the general ISO 20022 pain.001.001.09 (names and texts of 1 to 140
 *   characters, any character XML can carry, minus controls);
 * - `sepa`: the EPC SEPA Credit Transfer customer-to-PSP rules (EUR):
 *   party names of at most 70 characters and the EPC basic Latin character set.
 *
 * Lengths are counted in characters (code points), as XML Schema counts them.
 */

export type PaymentProfile = 'iso' | 'sepa';

/** EUR goes by SEPA credit transfer; every other currency by the general ISO profile. */
export const profileOf = (currency: string): PaymentProfile => (currency === 'EUR' ? 'sepa' : 'iso');

export const TEXT_LIMITS = {
  /** Cdtr/Nm, Dbtr/Nm, InitgPty/Nm */
  partyName: { iso: 140, sepa: 70 },
  /** CdtrAcct/Nm: not written under SEPA, but still shown in the CSV. */
  accountName: { iso: 140, sepa: 140 },
  /** RmtInf/Ustrd */
  remittance: { iso: 140, sepa: 140 },
  /** MsgId, PmtInfId, EndToEndId */
  reference: { iso: 35, sepa: 35 },
} as const;
export type TextKind = keyof typeof TEXT_LIMITS;

// C0 and C1 controls and DEL, plus U+FFFE/U+FFFF, which XML 1.0 cannot carry at all.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]/;
/** A UTF-16 surrogate without its partner: not a character, cannot be written as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** The EPC basic Latin character set every SEPA bank must accept (EPC132-08, "Character set"). */
const EPC_CHARACTERS = /^[A-Za-z0-9/\-?:().,'+ ]*$/;
export const EPC_CHARACTER_SET = "letters A-Z and a-z, digits 0-9, space and / - ? : ( ) . , ' +";

/**
 * The countries in the geographical scope of the SEPA schemes (EPC409-09):
 * the EEA, their territories with own ISO codes, and the non-EEA members.
 * An IBAN from one of these is a SEPA payee.
 */
export const SEPA_COUNTRIES: ReadonlySet<string> = new Set([
  // EU
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT',
  'RO', 'SK', 'SI', 'ES', 'SE',
  // EEA outside the EU
  'IS', 'LI', 'NO',
  // territories with their own ISO code
  'AX', 'GF', 'GP', 'MQ', 'RE', 'YT', 'BL', 'MF', 'PM', 'GI',
  // non-EEA members
  'AD', 'CH', 'GB', 'GG', 'IM', 'JE', 'MC', 'SM', 'VA', 'AL', 'MD', 'ME', 'MK',
]);

export const isSepaIban = (iban: string): boolean => SEPA_COUNTRIES.has(iban.slice(0, 2).toUpperCase());

/** The strictest profile a payee may be paid under: a SEPA IBAN may receive EUR by SEPA credit transfer. */
export function payeeProfile(account: object): PaymentProfile {
  const iban = 'iban' in account ? account.iban : undefined;
  return typeof iban === 'string' && isSepaIban(iban) ? 'sepa' : 'iso';
}

/**
 * Why a value cannot be written into a payment file as a text of this kind
 * under this profile, or undefined when it can. Messages read after a field
 * name: "legalName: must be at most 140 characters …".
 */
export function paymentTextProblem(value: unknown, kind: TextKind, profile: PaymentProfile): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must not be empty';
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate, which is not text';
  if (CONTROL_CHARS.test(value)) return 'must not contain control characters (line breaks, tabs, NUL and the like)';
  const max = TEXT_LIMITS[kind][profile];
  if ([...value].length > max) {
    return `must be at most ${max} characters${profile === 'sepa' && max < TEXT_LIMITS[kind].iso ? ' for a SEPA (EUR) payment' : ' (the limit of a bank payment file)'}`;
  }
  // The account name is not part of a SEPA file; everything else that is must use the EPC set.
  if (profile === 'sepa' && kind !== 'accountName') {
    if (!EPC_CHARACTERS.test(value)) return `may use only the SEPA character set for a EUR payment: ${EPC_CHARACTER_SET}`;
    if (kind === 'reference' && (value.startsWith('/') || value.endsWith('/') || value.includes('//'))) {
      return 'must not start or end with "/" or contain "//" in a SEPA payment';
    }
  }
  return undefined;
}

/**
 * What the profile asks of the account money is paid from, beyond a valid
 * IBAN or account number: SEPA pays only from the IBAN of a SEPA country.
 * The treasury configuration and the payment file both check it here.
 */
export function debtorAccountProblem(account: { iban?: string | undefined; accountNumber?: string | undefined }, profile: PaymentProfile): { field: 'iban'; message: string } | undefined {
  if (profile !== 'sepa') return undefined;
  if (account.iban === undefined) return { field: 'iban', message: 'a SEPA (EUR) credit transfer is paid from an IBAN, not a local account number' };
  if (!isSepaIban(account.iban)) return { field: 'iban', message: `a SEPA (EUR) credit transfer is paid from the IBAN of a SEPA country, not ${account.iban.slice(0, 2)}` };
  return undefined;
}
