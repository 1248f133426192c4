import { z } from 'zod';
import { paymentTextProblem, payeeProfile, TEXT_LIMITS, type PaymentProfile, type TextKind } from '../disbursements/payee-text.js';

/** Countries with no IBAN: providers there are paid to a domestic bank code and account number. */
export const domesticAccountRules = {
  SG: { bankCode: /^\d{4}$/, bankCodeHint: '4 digits', accountNumber: /^\d{9,14}$/, accountNumberHint: '9 to 14 digits' },
  ID: { bankCode: /^\d{3}$/, bankCodeHint: '3 digits', accountNumber: /^\d{10,16}$/, accountNumberHint: '10 to 16 digits' },
  MY: { bankCode: /^\d{2,4}$/, bankCodeHint: '2 to 4 digits', accountNumber: /^\d{10,16}$/, accountNumberHint: '10 to 16 digits' },
} as const;
type DomesticCountry = keyof typeof domesticAccountRules;
const isDomesticCountry = (country: string): country is DomesticCountry => country in domesticAccountRules;

/** ISO 13616: move the first four characters to the end, letters to numbers (A=10), and the result mod 97 must be 1. */
export function ibanChecksumValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}

const compactUpper = (s: string) => s.replace(/\s+/g, '').toUpperCase();

/** ISO 13616 shape: 2-letter country, 2 check digits, 11 to 30 letters or digits (upper case, no spaces). */
export const IBAN_PATTERN = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/;
/** ISO 9362: 4-letter bank code, 2-letter country, 2-character location, optional 3-character branch. */
export const BIC_PATTERN = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** Checked IBAN, as typed by a person: spaces removed, letters upper-cased, then shape and mod-97. */
export const ibanSchema = z
  .string()
  .overwrite(compactUpper)
  .regex(IBAN_PATTERN, 'must be an IBAN: 2-letter country, 2 check digits, then 11 to 30 letters or digits')
  .refine((iban) => !IBAN_PATTERN.test(iban) || ibanChecksumValid(iban), 'fails the IBAN check-digit (mod-97) test: look for a mistyped character');

export const bicSchema = z
  .string()
  .overwrite(compactUpper)
  .regex(
    BIC_PATTERN,
    'must be an ISO 9362 BIC: 4-letter bank code, 2-letter country, 2-character location, optional 3-character branch (8 or 11 characters)',
  );

/** A domestic account number: digits only once spaces and dashes are removed. */
export const accountNumberSchema = z
  .string()
  .overwrite((s) => s.replace(/[\s-]+/g, ''))
  .regex(/^\d{9,16}$/, 'must be 9 to 16 digits (spaces and dashes are ignored)');

/**
 * Text that goes into a bank payment file, checked by the payment-file rules
 * (their one owner is payee-text.ts): trimmed, not empty, no control
 * characters, within the length the file allows for this kind under this profile.
 */
export const paymentTextSchema = (kind: TextKind, profile: PaymentProfile = 'iso') =>
  z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = paymentTextProblem(value, kind, profile);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ minLength: 1, maxLength: TEXT_LIMITS[kind][profile] });

const accountName = paymentTextSchema('accountName');

export const ibanAccountSchema = z
  .strictObject({ accountName, bic: bicSchema, iban: ibanSchema })
  .meta({ id: 'IbanBankAccount', description: 'An account identified by IBAN and the BIC of its bank. Spaces are removed and letters upper-cased.' });

export const domesticAccountSchema = z
  .strictObject({
    accountName,
    bankCode: z.string().trim().regex(/^\d{2,4}$/, 'must be the 2 to 4 digit domestic bank code'),
    accountNumber: accountNumberSchema,
  })
  .meta({
    id: 'DomesticBankAccount',
    description: `For countries without IBAN (${Object.keys(domesticAccountRules).join(', ')}): the domestic bank code and account number, digits only.`,
  });

export const bankAccountSchema = z
  .union([ibanAccountSchema, domesticAccountSchema], {
    error: 'must be either { accountName, bic, iban } or, in SG, ID and MY, { accountName, bankCode, accountNumber }',
  })
  .meta({ id: 'BankAccount', description: 'Where the provider is paid.' });

export type BankAccount = z.output<typeof bankAccountSchema>;

/**
 * The checks that need the provider's country: SG, ID and MY have no IBAN
 * and their own code and number lengths; elsewhere an IBAN is required.
 * Returns field errors relative to the bank account.
 */
export function bankAccountCountryErrors(country: string, account: BankAccount): { path: string; message: string }[] {
  if (!isDomesticCountry(country)) {
    return 'iban' in account ? [] : [{ path: 'iban', message: `providers in ${country} are paid by IBAN: give accountName, bic and iban` }];
  }
  if ('iban' in account) {
    return [{ path: 'iban', message: `${country} has no IBAN: give accountName, bankCode and accountNumber instead` }];
  }
  const rules = domesticAccountRules[country];
  const errors: { path: string; message: string }[] = [];
  if (!rules.bankCode.test(account.bankCode)) errors.push({ path: 'bankCode', message: `must be ${rules.bankCodeHint} in ${country}` });
  if (!rules.accountNumber.test(account.accountNumber)) {
    errors.push({ path: 'accountNumber', message: `must be ${rules.accountNumberHint} in ${country}` });
  }
  return errors;
}

/**
 * The payee's name as the payment file will carry it to this account: a SEPA
 * IBAN may be paid in EUR by SEPA credit transfer, whose names are at most 70
 * characters of the EPC character set. Field errors relative to the provider.
 */
export function payeeNameErrors(legalName: string, account: BankAccount): { path: string; message: string }[] {
  const problem = paymentTextProblem(legalName, 'partyName', payeeProfile(account));
  return problem ? [{ path: 'legalName', message: `${problem} (it is the payee name in payment files to this account)` }] : [];
}

/** Enough to recognise the account in an audit trail without copying it there. */
export function maskBankAccount(account: BankAccount): string {
  const id = 'iban' in account ? account.iban : `${account.bankCode}/${account.accountNumber}`;
  return `${'iban' in account ? 'IBAN' : 'account'} ending ${id.slice(-4)}`;
}
