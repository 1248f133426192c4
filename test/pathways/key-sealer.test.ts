import { describe, expect, it } from 'vitest';
import { createKeySealer } from '../../src/lib/key-sealer.js';

describe('key sealer', () => {
  const secret = 'a-secret-of-at-least-thirty-two-characters';
  const jwk = JSON.stringify({ kty: 'OKP', crv: 'Ed25519', d: 'private-part', x: 'public-part' });

  it('when a private key is sealed, then the sealed text hides it and opens back to it under the same secret', () => {
    const sealed = createKeySealer(secret).seal(jwk);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('private-part');
    expect(createKeySealer(secret).open(sealed)).toBe(jwk);
    expect(createKeySealer(secret).seal(jwk)).not.toBe(sealed);
  });

  it('when opened under another secret or edited, then it refuses', () => {
    const sealed = createKeySealer(secret).seal(jwk);
    expect(() => createKeySealer(`${secret}-other`).open(sealed)).toThrow();
    const [v, iv, tag, body] = sealed.split('.') as [string, string, string, string];
    const flipped = `${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
    expect(() => createKeySealer(secret).open([v, iv, tag, flipped].join('.'))).toThrow();
    expect(() => createKeySealer('short')).toThrow(/32 characters/);
  });
});
