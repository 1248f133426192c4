import type { Db, Tx } from '../../../db/client.js';
import { inTransaction } from '../../../db/transaction.js';
import { recordAudit } from '../../audit/audit.repo.js';
import type { Acting } from '../../acting.js';
import type { ServiceDeps } from '../../deps.js';
import { findContact, saveContact, type ContactRow } from './contact.repo.js';
import type { ContactInput } from './contact.schemas.js';

/** What a learner without saved details gets: English, no address, so no notice goes anywhere. */
const noContact = { email: null, phone: null, language: 'en' as const, emailNotices: true, smsNotices: false, updatedAt: null };

export async function contactOf(db: Db | Tx, learnerId: string) {
  return (await findContact(db, learnerId)) ?? noContact;
}

/**
 * Saves a learner's contact details and preferences. The audit entry names
 * which preferences changed, never the address or number (personal data
 * stays out of the hash chain, so erasure leaves it verifying).
 */
export async function setContact(deps: ServiceDeps, db: Db | Tx, learnerId: string, input: ContactInput, acting: Acting): Promise<ContactRow> {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    const row = await saveContact(tx, learnerId, input, now);
    await recordAudit(tx, {
      ...acting, action: 'learner.contact_set', entityType: 'learner', entityId: learnerId, at: now,
      details: { language: input.language, emailNotices: input.emailNotices, smsNotices: input.smsNotices, hasEmail: input.email !== null, hasPhone: input.phone !== null },
    });
    return row;
  });
}

export const contactView = (c: ContactRow | typeof noContact) => ({
  email: c.email, phone: c.phone, language: c.language, emailNotices: c.emailNotices, smsNotices: c.smsNotices,
  updatedAt: c.updatedAt ? c.updatedAt.toISOString() : null,
});
