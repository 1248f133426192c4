import { z } from 'zod';
import { pageQuery, pageSchema } from '../../lib/cursor.js';
import { paymentTextProblem } from '../disbursements/payee-text.js';
import { bankAccountCountryErrors, bankAccountSchema, payeeNameErrors, paymentTextSchema, type BankAccount } from './bank-account.js';
import { publicJwkSchema } from './signing-key.js';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** ISO 3166-1 alpha-2, checked against the region names the runtime knows so that "XX" is refused. */
export const countrySchema = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code in capitals, such as SG')
  .refine((c) => !/^[A-Z]{2}$/.test(c) || regionNames.of(c) !== c, 'is not an ISO 3166-1 country code')
  .meta({ example: 'SG' });

/** The payee name of every payment file to this provider: the payment-file text rules apply (at most 70 EPC characters for a SEPA IBAN). */
const legalName = paymentTextSchema('partyName').meta({
  description: 'Legal name, as the payee name in payment files: at most 140 characters, no control characters; for a SEPA IBAN at most 70 characters of the SEPA set',
});
/** The name checked against the account it will be paid to; only when the name passed the general rules, which its field already reports. */
function addPayeeNameIssues(ctx: z.RefinementCtx, name: string, account: BankAccount): void {
  if (paymentTextProblem(name, 'partyName', 'iso') !== undefined) return;
  for (const e of payeeNameErrors(name, account)) ctx.addIssue({ code: 'custom', path: [e.path], message: e.message });
}

const contactEmail = z.email('must be an email address').max(254, 'must be at most 254 characters');
export const providerStatusSchema = z.enum(['active', 'suspended']);

export const newProviderSchema = z
  .strictObject({
    legalName,
    registrationNumber: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9./-]{0,63}$/, 'must be the business registration number: letters, digits, ".", "/" or "-", up to 64')
      .meta({ description: 'Business registration number (UEN in Singapore, NIB in Indonesia); unique per country', example: '201912345K' }),
    country: countrySchema,
    contactEmail,
    bankAccount: bankAccountSchema,
  })
  .superRefine((p, ctx) => {
    addPayeeNameIssues(ctx, p.legalName, p.bankAccount);
    if (!countrySchema.safeParse(p.country).success) return;
    for (const e of bankAccountCountryErrors(p.country, p.bankAccount)) {
      ctx.addIssue({ code: 'custom', path: ['bankAccount', e.path], message: e.message });
    }
  })
  .meta({ id: 'NewProvider' });

export const providerUpdateSchema = z
  .strictObject(
    {
      contactEmail: contactEmail.optional(),
      status: providerStatusSchema.optional(),
      reason: z
        .string()
        .trim()
        .min(1, 'must not be empty')
        .max(1000, 'must be at most 1000 characters')
        .optional()
        .meta({ description: 'Why the status changes; required when suspending. Kept in the audit trail.' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `${issue.keys.join(', ')}: payee details change only by a proposal a second administrator approves: POST /v1/providers/{providerId}/payee-changes`
          : undefined,
    },
  )
  .superRefine((u, ctx) => {
    if (u.status === 'suspended' && u.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required when suspending a provider' });
    }
    if (Object.keys(u).filter((k) => k !== 'reason').length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give at least one of contactEmail, status' });
    }
  })
  .meta({ id: 'ProviderUpdate' });

/** Who gets paid: the payee name and the bank account of every payment file to this provider. */
export const payeeChangeSchema = z
  .strictObject({
    legalName: legalName.optional(),
    bankAccount: bankAccountSchema.optional(),
    reason: z.string().trim().min(3, 'must be at least 3 characters').max(1000, 'must be at most 1000 characters')
      .meta({ description: 'Why the payee changes, for the approving administrator and the audit trail' }),
  })
  .superRefine((u, ctx) => {
    // With both in the body, the new name must fit the new account; with one, the service checks it against the stored other.
    if (u.legalName !== undefined && u.bankAccount !== undefined) addPayeeNameIssues(ctx, u.legalName, u.bankAccount);
    if (u.legalName === undefined && u.bankAccount === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give legalName, bankAccount or both' });
    }
  })
  .meta({ id: 'PayeeChange' });

export const providerSelfUpdateSchema = z
  .strictObject(
    { contactEmail },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `only contactEmail may be changed here; bank details and other fields change only through an administrator (refused: ${issue.keys.join(', ')})`
          : undefined,
    },
  )
  .meta({ id: 'ProviderSelfUpdate' });

export const providerSchema = z
  .object({
    id: z.uuid(),
    legalName: z.string(),
    registrationNumber: z.string(),
    country: z.string(),
    status: providerStatusSchema,
    contactEmail: z.string().nullable(),
    bankAccount: bankAccountSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Provider' });

export const providerPageSchema = pageSchema(providerSchema).meta({ id: 'ProviderPage' });

export const providerListQuerySchema = z.strictObject({ status: providerStatusSchema.optional(), ...pageQuery });

export const providerIdParams = z.strictObject({ providerId: z.uuid() });
export const providerKeyParams = z.strictObject({ providerId: z.uuid(), keyId: z.uuid() });

export const newProviderKeySchema = z.strictObject({ jwk: publicJwkSchema }).meta({ id: 'NewProviderKey' });

export const providerKeySchema = z
  .object({
    id: z.uuid(),
    providerId: z.uuid(),
    kid: z.string(),
    alg: z.enum(['EdDSA', 'ES256']),
    publicJwk: z.record(z.string(), z.unknown()),
    status: z.enum(['active', 'deactivated']),
    createdAt: z.iso.datetime(),
    deactivatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ProviderKey' });

export const providerKeyListSchema = z.object({ items: z.array(providerKeySchema) }).meta({ id: 'ProviderKeyList' });
