import { afterAll, beforeAll } from 'vitest';

/**
 * Something a test file's tests share: made in beforeAll, disposed of in
 * afterAll (after the file's own afterAll hooks). The handle is returned at
 * once, for the file's top level; its fields are filled in by beforeAll, so
 * read them inside hooks and tests.
 */
export function perFile<T extends object>(make: () => Promise<T>, dispose: (value: T) => Promise<void>): T {
  const handle = {} as T;
  let made = false;
  beforeAll(async () => {
    Object.assign(handle, await make());
    made = true;
  });
  afterAll(async () => {
    if (made) await dispose(handle);
  });
  return handle;
}
