import { z } from 'zod';

/** ISO 4217 currencies the service funds, with their minor-unit exponent. */
export const currencies = { SGD: 2, IDR: 2, EUR: 2, MYR: 2, USD: 2 } as const;
export type Currency = keyof typeof currencies;
export const currencySchema = z.enum(Object.keys(currencies) as [Currency, ...Currency[]]);

/** Largest single amount accepted: 10^17 minor units keeps every sum far inside int8. */
export const MAX_AMOUNT = 100_000_000_000_000_000n;

/**
 * Amounts travel as strings of minor units ("50000" is SGD 500.00) so no
 * client or JSON parser turns them into floats. Requests may also send a safe
 * integer; responses always send strings.
 */
export const amountSchema = z
  .union([
    z.string().regex(/^(0|[1-9]\d{0,17})$/, 'must be a whole number of minor units, as digits'),
    z.number().int('must be a whole number of minor units').nonnegative().max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_AMOUNT, `must not exceed ${MAX_AMOUNT}`)
  .meta({ type: 'string', pattern: '^[0-9]+$', description: 'Amount in integer minor units of the currency', example: '50000' });

export const positiveAmountSchema = amountSchema.refine((v) => v > 0n, 'must be greater than zero');

/** Parses an int8 that pg returned as text. Never goes through number. */
export function toBigInt(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`unsafe integer ${value}`);
    return BigInt(value);
  }
  return BigInt(value);
}

export interface Money {
  amount: bigint;
  currency: Currency;
}

/** "SGD 1,234.50" for plain-language descriptions; never used for arithmetic. */
export function formatMoney(amount: bigint, currency: Currency): string {
  const exp = BigInt(currencies[currency]);
  const scale = 10n ** exp;
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const whole = (abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = exp > 0n ? `.${(abs % scale).toString().padStart(Number(exp), '0')}` : '';
  return `${negative ? '-' : ''}${currency} ${whole}${frac}`;
}

export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
