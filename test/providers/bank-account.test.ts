import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bankAccountSchema, ibanChecksumValid } from '../../src/modules/providers/bank-account.js';

/** Builds a valid IBAN from a country and BBAN by computing its check digits. */
function withCheckDigits(country: string, bban: string): string {
  for (let check = 2; check <= 98; check++) {
    const iban = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanChecksumValid(iban)) return iban;
  }
  throw new Error('no check digits found');
}

describe('IBAN check digits', () => {
  it('when given published example IBANs, then they pass, and a changed check digit fails', () => {
    for (const iban of ['DE89370400440532013000', 'GB82WEST12345698765432', 'FR1420041010050500013M02606', 'NL91ABNA0417164300']) {
      expect(ibanChecksumValid(iban), iban).toBe(true);
    }
    expect(ibanChecksumValid('DE88370400440532013000')).toBe(false);
  });

  it('when any single digit of a valid IBAN is mistyped, then the check fails', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{18}$/),
        fc.integer({ min: 4, max: 21 }),
        fc.integer({ min: 1, max: 9 }),
        (bban, position, shift) => {
          const iban = withCheckDigits('DE', bban);
          const typo = iban.slice(0, position) + String((Number(iban[position]) + shift) % 10) + iban.slice(position + 1);
          expect(ibanChecksumValid(typo)).toBe(false);
        },
      ),
    );
  });

  it('when two adjacent different digits are swapped, then the check fails', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{18}$/), fc.integer({ min: 4, max: 20 }), (bban, i) => {
        const iban = withCheckDigits('DE', bban);
        fc.pre(iban[i] !== iban[i + 1]);
        const swapped = iban.slice(0, i) + iban[i + 1] + iban[i] + iban.slice(i + 2);
        expect(ibanChecksumValid(swapped)).toBe(false);
      }),
    );
  });
});

describe('bank account schema', () => {
  it('when a BIC has 11 characters with a branch, then it is accepted; 9 characters are refused', () => {
    const base = { accountName: 'A', iban: 'DE89370400440532013000' };
    expect(bankAccountSchema.safeParse({ ...base, bic: 'DEUTDEFF500' }).success).toBe(true);
    const bad = bankAccountSchema.safeParse({ ...base, bic: 'DEUTDEFF5' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['bic']);
  });

  it('when a domestic account number has letters, then accountNumber is named', () => {
    const r = bankAccountSchema.safeParse({ accountName: 'A', bankCode: '7171', accountNumber: '12345X7890' });
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['accountNumber']);
  });
});
