import { isCurrency, toDecimalString } from '../../lib/money.js';
import type { TreasuryAccount } from '../deps.js';
import type { ParsedStatement, StatementBalances, StatementFormatProblem } from './statement-format.js';

/**
 * The statement-wide rules, before any line is looked at. Pure: the service
 * decides what a failed rule does (a wrong account refuses the file; balances
 * that do not add up make the file an exception of its own).
 */

/** Account identifiers compare without spaces and case: "FR76 3000 6000 …" is the same IBAN as "FR763000600…". */
const normalise = (id: string) => id.replace(/\s+/g, '').toUpperCase();

const describeAccount = (currency: string, a: TreasuryAccount) => `${[a.iban, a.accountNumber].filter(Boolean).join(' / ')} (${a.name}, the ${currency} disbursement account)`;

/**
 * The statement must be for the treasury's disbursement account of its
 * currency (policy treasuryAccounts): camt.053 always names its account
 * (Stmt/Acct/Id) and has one currency; a CSV may name its account with
 * `# account:`, and then that account must be the disbursement account of
 * every currency its lines carry. A CSV without the line is not checked.
 * Returns the problems, each saying which account was expected and which was
 * found; empty when the account is right.
 */
export function accountProblems(parsed: ParsedStatement, accounts: Partial<Record<string, TreasuryAccount>>): StatementFormatProblem[] {
  const found = parsed.account;
  if (found === null) return [];
  const currencies = parsed.balances ? [parsed.balances.currency] : [...new Set(parsed.lines.map((l) => l.currency))].sort();
  const problems: StatementFormatProblem[] = [];
  const matches = (a: TreasuryAccount) => [a.iban, a.accountNumber].some((x) => typeof x === 'string' && x !== '' && normalise(x) === normalise(found.id));
  if (currencies.length === 0 && !Object.values(accounts).some((a) => a !== undefined && matches(a))) {
    problems.push({ path: found.path, message: `expected one of the disbursement accounts (${Object.entries(accounts).map(([c, a]) => a && describeAccount(c, a)).filter(Boolean).join('; ')}), found ${found.id}` });
  }
  for (const currency of currencies) {
    const expected = isCurrency(currency) ? accounts[currency] : undefined;
    if (!expected) {
      problems.push({ path: found.path, message: `the statement is for account ${found.id} in ${currency}, and no ${currency} disbursement account is configured` });
      continue;
    }
    if (!matches(expected)) {
      problems.push({ path: found.path, message: `expected account ${describeAccount(currency, expected)}, found ${found.id}` });
    }
  }
  return problems;
}

export interface BalanceMismatch {
  currency: string;
  /** The closing booked balance the bank states (CLBD), signed: a credit balance is positive. */
  expected: bigint;
  /** Opening balance plus booked credits minus booked debits. */
  actual: bigint;
  detail: string;
}

const signed = (amount: bigint, currency: string) => {
  if (!isCurrency(currency)) return amount.toString();
  return `${toDecimalString(amount < 0n ? -amount : amount, currency)} ${amount < 0n ? 'DBIT' : 'CRDT'}`;
};

/**
 * The opening booked balance plus the booked entries (credits minus debits)
 * must equal the closing booked balance. Only BOOK entries count: a pending
 * or information-only entry is not on the books. Null when they add up, and
 * for a CSV (which carries no balances).
 */
export function balanceMismatch(balances: StatementBalances | null): BalanceMismatch | null {
  if (balances === null) return null;
  const { currency, opening, closing, bookedCredits, bookedDebits } = balances;
  const actual = opening.amount + bookedCredits - bookedDebits;
  if (actual === closing.amount) return null;
  const money = (v: bigint) => (isCurrency(currency) ? toDecimalString(v, currency) : v.toString());
  return {
    currency,
    expected: closing.amount,
    actual,
    detail: `the balances do not add up: opening ${opening.type} ${signed(opening.amount, currency)} + booked credits ${money(bookedCredits)} - booked debits ${money(bookedDebits)} `
      + `= ${signed(actual, currency)} ${currency}, but the closing balance CLBD is ${signed(closing.amount, currency)} ${currency}; nothing in this statement was reconciled`,
  };
}
