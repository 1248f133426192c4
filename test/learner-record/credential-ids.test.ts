import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  achievementIdOf, courseIdOfAchievement, issuerIdOf, pathwayAchievementIdOf, pathwayIdOfAchievement, providerIdOfIssuer, schemeIdOfIssuer, schemeIssuerIdOf,
} from '../../src/modules/credentials/credential-ids.js';
import { isShareToken, maskShareTokens, newShareToken, shareTokenSha256 } from '../../src/lib/share-token.js';

describe('credential ids read back', () => {
  it('when an issuer or achievement id is made from a uuid, then it reads back to that uuid (fast-check)', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(providerIdOfIssuer(issuerIdOf(id))).toBe(id);
        expect(courseIdOfAchievement(achievementIdOf(id))).toBe(id);
        // The two namespaces never cross: a course id is not an issuer.
        expect(providerIdOfIssuer(achievementIdOf(id))).toBeNull();
        expect(courseIdOfAchievement(issuerIdOf(id))).toBeNull();
      }),
    );
  });

  it('when the id is anything else (padded, upper-cased, another scheme), then it names no provider (fast-check)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string({ minLength: 1, maxLength: 5 }), (id, junk) => {
        for (const text of [`${issuerIdOf(id)}${junk}`, `${junk}${issuerIdOf(id)}`, issuerIdOf(id).toUpperCase(), `did:web:${id}`]) {
          if (text === issuerIdOf(id)) continue;
          expect(providerIdOfIssuer(text), text).toBeNull();
        }
      }),
    );
  });
});

describe('scheme and pathway ids read back', () => {
  it('when a scheme issuer or pathway achievement id is made from a uuid, then it reads back to it, and never as the other (fast-check)', () => {
    fc.assert(
      fc.property(fc.uuid(), (id) => {
        expect(schemeIdOfIssuer(schemeIssuerIdOf(id))).toBe(id);
        expect(pathwayIdOfAchievement(pathwayAchievementIdOf(id))).toBe(id);
        expect(schemeIdOfIssuer(pathwayAchievementIdOf(id))).toBeUndefined();
        expect(schemeIdOfIssuer(issuerIdOf(id))).toBeUndefined();
      }),
    );
  });

  it('when the id part is 36 characters that are not a uuid (dashes only, hex without dashes), then it names no scheme or pathway', () => {
    for (const junk of ['-'.repeat(36), 'a'.repeat(36), `${'0'.repeat(35)}g`]) {
      expect(schemeIdOfIssuer(`urn:learning-credits:scheme:${junk}`), junk).toBeUndefined();
      expect(pathwayIdOfAchievement(`urn:learning-credits:pathway:${junk}`), junk).toBeUndefined();
    }
  });
});

describe('share tokens', () => {
  it('when tokens are made, then each is well formed, unique, hashed to 64 hex digits, and masked wherever it appears in a text (fast-check)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (before, after) => {
        const token = newShareToken();
        expect(isShareToken(token)).toBe(true);
        expect(seen.has(token)).toBe(false);
        seen.add(token);
        expect(shareTokenSha256(token)).toMatch(/^[0-9a-f]{64}$/);
        expect(maskShareTokens(`${before}${token}${after}`)).not.toContain(token.slice(4));
      }),
    );
  });
});
