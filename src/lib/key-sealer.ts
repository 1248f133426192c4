import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals key material at rest (the schemes' private signing keys) with
 * AES-256-GCM under a key derived from the configured secret
 * (SCHEME_KEY_SECRET). A sealed value is `v1.<iv>.<tag>.<ciphertext>`, each
 * part base64url; a wrong secret or an edited value fails to open.
 */
export interface KeySealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export function createKeySealer(secret: string): KeySealer {
  if (secret.length < 32) throw new Error('the key-sealing secret must be at least 32 characters');
  const key = Buffer.from(hkdfSync('sha256', secret, 'learning-credits', 'scheme signing keys v1', 32));
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** The sealer of tests and of tools that sign nothing (the OpenAPI writer); never the running service's. */
export const developmentKeySealer = (): KeySealer => createKeySealer('development-only-scheme-key-secret-0123456789');
