import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { schemeSigningKeys } from '../../db/schema/index.js';
import { keySealerOf, type ServiceDeps } from '../deps.js';

/**
 * The scheme key store: one EdDSA (Ed25519) key per scheme, made the first
 * time the scheme signs something. The private JWK is kept sealed
 * (src/lib/key-sealer.ts) and opened only to sign; the public JWK is
 * published as the scheme's JWKS.
 */
export interface SchemePublicKey {
  kid: string;
  alg: 'EdDSA';
  publicJwk: JWK;
}

async function ensureSchemeKey(deps: ServiceDeps, tx: Tx, schemeId: string): Promise<{ kid: string; sealed: string }> {
  const existing = await tx.select().from(schemeSigningKeys).where(eq(schemeSigningKeys.schemeId, schemeId));
  if (existing[0]) return { kid: existing[0].kid, sealed: existing[0].sealedPrivateJwk };
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const sealed = keySealerOf(deps).seal(JSON.stringify(await exportJWK(pair.privateKey)));
  // Two first uses at once: one insert wins, and both sign with the winner's key.
  await tx.execute(sql`
    insert into scheme_signing_keys (scheme_id, kid, alg, public_jwk, sealed_private_jwk, created_at)
    values (${schemeId}, ${kid}, 'EdDSA', ${JSON.stringify({ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' })}::jsonb, ${sealed},
            ${deps.clock.now().toISOString()}::timestamptz)
    on conflict (scheme_id) do nothing`);
  const [row] = await tx.select().from(schemeSigningKeys).where(eq(schemeSigningKeys.schemeId, schemeId));
  return { kid: row!.kid, sealed: row!.sealedPrivateJwk };
}

/** Signs a payload as a VC-JWT (typ vc+jwt) with the scheme's key, made now if the scheme has none yet. */
export async function signAsScheme(deps: ServiceDeps, tx: Tx, schemeId: string, payload: Record<string, unknown>): Promise<string> {
  return signWith(deps, await ensureSchemeKey(deps, tx, schemeId), payload);
}

/** Signs with the scheme's key if it has one (it has signed before); undefined otherwise. Writes nothing. */
export async function signAsSchemeIfKeyed(deps: ServiceDeps, db: Db | Tx, schemeId: string, payload: Record<string, unknown>): Promise<string | undefined> {
  const [row] = await db.select().from(schemeSigningKeys).where(eq(schemeSigningKeys.schemeId, schemeId));
  return row ? signWith(deps, { kid: row.kid, sealed: row.sealedPrivateJwk }, payload) : undefined;
}

async function signWith(deps: ServiceDeps, { kid, sealed }: { kid: string; sealed: string }, payload: Record<string, unknown>): Promise<string> {
  const key = await importJWK(JSON.parse(keySealerOf(deps).open(sealed)) as JWK, 'EdDSA');
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'vc+jwt' })
    .sign(key);
}

/** The scheme's public keys (none until it has signed something). */
export async function schemePublicKeys(db: Db | Tx, schemeId: string): Promise<SchemePublicKey[]> {
  const rows = await db.select().from(schemeSigningKeys).where(eq(schemeSigningKeys.schemeId, schemeId));
  return rows.map((r) => ({ kid: r.kid, alg: 'EdDSA', publicJwk: r.publicJwk as JWK }));
}
