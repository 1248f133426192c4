import { z } from 'zod';
import { approvalRefSchema } from '../../approvals/approvals.schemas.js';
import { domesticAccountSchema, ibanAccountSchema, paymentTextSchema } from '../../providers/bank-account.js';

/**
 * E-wallets a learner may be paid to, with the country they serve and the
 * clearing member code under which the treasury's bank credits them (the
 * payment file carries it as the creditor agent, and the wallet's account id
 * as the account). The codes are those agreed with the treasury's bank.
 */
export const ewalletProviders = {
  gopay: { name: 'GoPay', country: 'ID', clearingCode: '898' },
  ovo: { name: 'OVO', country: 'ID', clearingCode: '899' },
  dana: { name: 'DANA', country: 'ID', clearingCode: '897' },
  shopeepay: { name: 'ShopeePay', country: 'ID', clearingCode: '896' },
  linkaja: { name: 'LinkAja', country: 'ID', clearingCode: '911' },
} as const;
export type EwalletProvider = keyof typeof ewalletProviders;

const accountName = paymentTextSchema('accountName').meta({ description: 'The name on the account: must be the learner\'s registered name' });

export const payeeAccountBody = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('bank'),
      accountName,
      bank: z.union([
        z.strictObject({ iban: ibanAccountSchema.shape.iban, bic: ibanAccountSchema.shape.bic }),
        z.strictObject({ bankCode: domesticAccountSchema.shape.bankCode, accountNumber: domesticAccountSchema.shape.accountNumber }),
      ], { error: 'must be { iban, bic } or, in SG, ID and MY, { bankCode, accountNumber }' }),
    }),
    z.strictObject({
      kind: z.literal('ewallet'),
      accountName,
      ewallet: z.strictObject({
        provider: z.enum(Object.keys(ewalletProviders) as [EwalletProvider, ...EwalletProvider[]]),
        accountId: z.string().overwrite((s) => s.replace(/[\s-]+/g, '')).regex(/^\d{10,16}$/, 'must be the wallet\'s phone number or account id: 10 to 16 digits'),
      }),
    }),
  ])
  .meta({
    id: 'PayeeAccount',
    description: 'Where a learner\'s incentives are paid: a bank account or an e-wallet in their own name.',
    example: { kind: 'ewallet', accountName: 'Siti Rahayu', ewallet: { provider: 'gopay', accountId: '081234567890' } },
  });

export type PayeeAccountInput = z.output<typeof payeeAccountBody>;

export const payeeAccountSchema = z
  .object({
    id: z.uuid(), kind: z.enum(['bank', 'ewallet']), accountName: z.string(),
    masked: z.string().meta({ description: 'Enough to recognise the account, never the whole number' }),
    status: z.enum(['active', 'proposed', 'superseded', 'rejected']), createdAt: z.string(), activatedAt: z.string().nullable(),
  })
  .meta({ id: 'PayeeAccountView' });

export const payeeAccountStateSchema = z
  .object({
    active: payeeAccountSchema.nullable(),
    proposed: payeeAccountSchema.nullable().meta({ description: 'A change waiting for a second person; the active account stays in force until then' }),
    approval: approvalRefSchema.optional(),
  })
  .meta({ id: 'PayeeAccountState' });
