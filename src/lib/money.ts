import { z } from 'zod';
import { JsonNumberText } from './json-number-text.js';

/** ISO 4217 currencies the service funds, with their minor-unit exponent. */
export const currencies = { SGD: 2, IDR: 2, EUR: 2, MYR: 2, USD: 2 } as const;
export type Currency = keyof typeof currencies;
export const currencySchema = z.enum(Object.keys(currencies) as [Currency, ...Currency[]]);

/** Largest single amount accepted: 10^17 minor units keeps every sum far inside int8. */
export const MAX_AMOUNT = 100_000_000_000_000_000n;

const moneyAsNumber =
  'money is a string of minor units ("10000"), or a JSON number written as a whole number up to 2^53 - 1 (9007199254740991)';

/**
 * Amounts travel as strings of minor units ("50000" is SGD 500.00) so no
 * client or JSON parser turns them into floats. Requests may also send a safe
 * integer; responses always send strings.
 *
 * A JSON number written with a fraction or an exponent, or beyond 2^53 - 1,
 * is refused: JSON.parse would round `100.0000000000000001` to 100 and the
 * fraction would vanish unseen. The request body parser (parseJsonBody)
 * keeps such a token as it was written, in a JsonNumberText, and this schema
 * names it in the refusal.
 */
export const amountSchema = z
  .union(
    [
      z.string().regex(/^(0|[1-9]\d{0,17})$/, 'must be a whole number of minor units, as digits'),
      z.number().int('must be a whole number of minor units').nonnegative().max(Number.MAX_SAFE_INTEGER),
    ],
    {
      error: (issue) =>
        issue.input instanceof JsonNumberText
          ? `must not be written as ${issue.input.source.length > 40 ? `${issue.input.source.slice(0, 40)}…` : issue.input.source}: ${moneyAsNumber}`
          : typeof issue.input === 'number'
            ? `must be a whole number of minor units: ${moneyAsNumber}`
            : undefined,
    },
  )
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_AMOUNT, `must not exceed ${MAX_AMOUNT}`)
  .meta({ type: 'string', pattern: '^[0-9]+$', description: 'Amount in integer minor units of the currency', example: '50000' });

export const positiveAmountSchema = amountSchema.refine((v) => v > 0n, 'must be greater than zero');

/** An amount as a response shows it: a string of minor units. */
export const minorUnitsSchema = z.string().meta({ description: 'minor units' });

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


/** "300.00" for bank files: the decimal form of minor units, never via a float. */
export function toDecimalString(amount: bigint, currency: Currency): string {
  const exp = currencies[currency];
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp);
  return `${negative ? '-' : ''}${whole}${exp > 0 ? `.${digits.slice(digits.length - exp)}` : ''}`;
}

/** Parses "300", "300.5" or "300.50" into minor units; undefined when it is not a plain decimal of at most the currency's places. */
export function parseDecimalAmount(text: string, currency: Currency): bigint | undefined {
  const exp = currencies[currency];
  const m = /^(\d{1,18})(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const fraction = m[2] ?? '';
  if (fraction.length > exp) return undefined;
  return BigInt(m[1]!) * 10n ** BigInt(exp) + BigInt(fraction.padEnd(exp, '0') || '0');
}

export const isCurrency = (c: string): c is Currency => Object.hasOwn(currencies, c);
