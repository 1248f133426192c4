import type { Db, Tx } from './client.js';
import { isRetryable } from '../http/pg-errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs fn in a transaction. At the top level a serialization failure or
 * deadlock retries the whole transaction (it is all-or-nothing, so a retry
 * is safe); inside an outer transaction it becomes a savepoint and the outer
 * owner retries.
 */
export async function inTransaction<T>(db: Db | Tx, fn: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err) || isInsideTransaction(db)) throw err;
      await sleep(5 * 2 ** attempt + Math.random() * 10);
    }
  }
}

/** drizzle's transaction objects carry the nesting depth of their savepoints. */
function isInsideTransaction(db: Db | Tx): boolean {
  return typeof (db as { nestedIndex?: unknown }).nestedIndex === 'number';
}
