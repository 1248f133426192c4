import type { Db, Tx } from './client.js';
import { isRetryable } from './pg-errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs fn in a transaction. At the top level a serialization failure or
 * deadlock retries the whole transaction (it is all-or-nothing, so a retry
 * is safe). Inside an outer transaction fn simply joins it: any error rolls
 * back the whole of the outer transaction, whose owner decides on a retry.
 * (A savepoint would cost two more round trips and no caller continues
 * after an inner failure.)
 */
export async function inTransaction<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  if (isInsideTransaction(db)) return fn(db as Tx);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      await sleep(5 * 2 ** attempt + Math.random() * 10);
    }
  }
}

/** drizzle's transaction objects carry the nesting depth of their savepoints. */
function isInsideTransaction(db: Db | Tx): boolean {
  return typeof (db as { nestedIndex?: unknown }).nestedIndex === 'number';
}

/**
 * Runs a read of several statements in one read-only, repeatable-read
 * snapshot, so they agree with each other (an export read while money
 * moves). Inside an outer transaction it joins it and sees what it sees.
 */
export async function inReadSnapshot<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (isInsideTransaction(db)) return fn(db as Tx);
  return db.transaction(fn, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}
