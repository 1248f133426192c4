import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CompactSign, importJWK, type JWK } from 'jose';
import { loadConfig } from '../config.js';
import { readDevPrivateKey, signToken } from '../lib/dev-keys.js';
import { achievementIdOf, issuerIdOf } from '../modules/credentials/credential-ids.js';

/**
 * Signs an Open Badges 3.0 completion credential (VC-JWT) for a demo
 * enrolment with its provider's seeded key, and prints it as the last line.
 * Development only: it reads the demo keys from DATA_DIR.
 */
async function main() {
  const { values } = parseArgs({
    options: { enrolment: { type: 'string' }, api: { type: 'string' }, 'valid-days': { type: 'string', default: '365' } },
  });
  if (!/^[0-9a-f-]{36}$/i.test(values.enrolment ?? '')) throw new Error('usage: npm run credential -- --enrolment <enrolment id> [--api http://127.0.0.1:3000]');
  const config = loadConfig();
  const api = values.api ?? `http://${config.HOST}:${config.PORT}`;
  const admin = await signToken(await readDevPrivateKey(config.dataDir), { role: 'admin', sub: 'credential-cli' }, {
    issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, expiresIn: '5m',
  });
  const res = await fetch(`${api}/v1/enrolments/${values.enrolment}`, { headers: { authorization: `Bearer ${admin}` } });
  if (!res.ok) throw new Error(`GET /v1/enrolments/${values.enrolment}: ${res.status} ${await res.text()}`);
  const enrolment = (await res.json()) as { providerId: string; courseId: string; learnerSubjectId: string; status: string };

  const keysFile = path.join(config.dataDir, 'demo', 'provider-keys.json');
  const keys = JSON.parse(await readFile(keysFile, 'utf8')) as { providers: { providerId: string; kid: string; alg: string; privateJwk: JWK }[] };
  const key = keys.providers.find((p) => p.providerId === enrolment.providerId);
  if (!key) throw new Error(`no demo signing key for provider ${enrolment.providerId} in ${keysFile}`);

  const now = new Date();
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    id: `urn:uuid:${randomUUID()}`,
    issuer: { id: issuerIdOf(enrolment.providerId), type: ['Profile'] },
    validFrom: now.toISOString(),
    validUntil: new Date(now.getTime() + Number(values['valid-days']) * 86_400_000).toISOString(),
    credentialSubject: {
      id: enrolment.learnerSubjectId,
      type: ['AchievementSubject'],
      achievement: { id: achievementIdOf(enrolment.courseId), type: ['Achievement'], criteria: { narrative: 'Completed the course run' } },
    },
  };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(credential)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'vc+jwt' })
    .sign(await importJWK(key.privateJwk, key.alg));
  process.stderr.write(`credential ${credential.id} for enrolment ${values.enrolment} (status ${enrolment.status}), signed with ${key.kid}\n`);
  process.stdout.write(`${jws}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
