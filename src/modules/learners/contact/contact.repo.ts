import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../../db/client.js';
import { learnerContacts } from '../../../db/schema/events.js';
import type { ContactInput } from './contact.schemas.js';

export type ContactRow = typeof learnerContacts.$inferSelect;

export async function findContact(db: Db | Tx, learnerId: string): Promise<ContactRow | undefined> {
  const [row] = await db.select().from(learnerContacts).where(eq(learnerContacts.learnerId, learnerId));
  return row;
}

export async function saveContact(db: Db | Tx, learnerId: string, input: ContactInput, at: Date): Promise<ContactRow> {
  const values = { ...input, updatedAt: at };
  const [row] = await db
    .insert(learnerContacts)
    .values({ learnerId, ...values })
    .onConflictDoUpdate({ target: learnerContacts.learnerId, set: values })
    .returning();
  return row!;
}
