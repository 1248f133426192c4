import { z } from 'zod';
import { noticeLanguages } from '../../../db/schema/events.js';

/** An E.164 number: a plus, a country code that does not start with 0, up to 15 digits in all. Spaces and dashes people type are dropped. */
export const e164Phone = z
  .string()
  .overwrite((s) => s.replace(/[\s().-]+/g, ''))
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an international number in E.164 form, such as +6591234567');

export const contactBody = z
  .strictObject({
    email: z.email('must be an email address').max(254).nullable().meta({ description: 'Where email notices go; null for none' }),
    phone: e164Phone.nullable().meta({ description: 'Where SMS notices go, in E.164 form; null for none' }),
    language: z.enum(noticeLanguages).meta({ description: 'The language notices are written in: en, ms, id, zh (Simplified Chinese) or ta' }),
    emailNotices: z.boolean().meta({ description: 'Send notices by email (needs an email address)' }),
    smsNotices: z.boolean().meta({ description: 'Send notices by SMS (needs a phone number)' }),
  })
  .superRefine((c, ctx) => {
    if (c.emailNotices && !c.email) ctx.addIssue({ code: 'custom', path: ['email'], message: 'is needed to receive notices by email' });
    if (c.smsNotices && !c.phone) ctx.addIssue({ code: 'custom', path: ['phone'], message: 'is needed to receive notices by SMS' });
  })
  .meta({
    id: 'LearnerContact',
    description: 'How the learner is told about consent requests, deadlines and payments, and in which language.',
    example: { email: 'siti@example.id', phone: '+6281234567890', language: 'id', emailNotices: true, smsNotices: true },
  });
export type ContactInput = z.output<typeof contactBody>;

export const contactSchema = z
  .object({
    email: z.string().nullable(),
    phone: z.string().nullable(),
    language: z.enum(noticeLanguages),
    emailNotices: z.boolean(),
    smsNotices: z.boolean(),
    updatedAt: z.string().nullable().meta({ description: 'Null until the learner first saves their details' }),
  })
  .meta({ id: 'LearnerContactView' });
