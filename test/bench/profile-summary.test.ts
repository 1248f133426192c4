import { describe, expect, it } from 'vitest';
import { ownerOf } from './profile-summary.js';

describe('the profile summary groups a frame by who owns its code', () => {
  it('when a frame is in a package, the program, node or the service, then it is named by package, internal, node module or src/ folder', () => {
    expect(ownerOf('file:///work/main/node_modules/drizzle-orm/pg-core/session.js', 'execute')).toBe('drizzle-orm');
    expect(ownerOf('file:///work/main/node_modules/@pinojs/redact/index.js', 'redact')).toBe('@pinojs/redact');
    expect(ownerOf('node:internal/crypto/util', 'jobPromise')).toBe('node:internal');
    expect(ownerOf('', '(garbage collector)')).toBe('gc');
    expect(ownerOf('', 'writev')).toBe('native');
    expect(ownerOf('file:///work/main/src/modules/enrolments/enrolments.service.ts', 'reserve')).toBe('src/modules/enrolments');
    expect(ownerOf('file:///work/main/dist/modules/enrolments/enrolments.service.js', 'reserve')).toBe('src/modules/enrolments');
    expect(ownerOf('file:///work/main/src/app.ts', 'createApp')).toBe('src/app.ts');
  });
});
