import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CompactSign, importJWK, type JWK } from 'jose';
import { loadConfig } from '../config.js';
import { readDevPrivateKey, signToken } from '../lib/dev-keys.js';
import { DAY_MS } from '../lib/dates.js';
import { achievementIdOf, issuerIdOf } from '../modules/credentials/credential-ids.js';
import { CliError, expectJson, request, serviceUrl } from './service-client.js';

const USAGE = 'usage: npm run -s credential -- --enrolment <enrolment id> [--url <service URL>] [--valid-days 365]\n' +
  'The service URL comes from --url, then LC_URL, then http://127.0.0.1:3000.';

/**
 * Signs an Open Badges 3.0 completion credential (VC-JWT) for a demo
 * enrolment with its provider's seeded key, and prints it as the last line.
 * Development only: it reads the demo keys from DATA_DIR.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      enrolment: { type: 'string' },
      url: { type: 'string' },
      /** The flag's earlier name. */
      api: { type: 'string' },
      'valid-days': { type: 'string', default: '365' },
    },
  });
  if (!/^[0-9a-f-]{36}$/i.test(values.enrolment ?? '')) throw new CliError(USAGE);
  if (!/^\d{1,5}$/.test(values['valid-days']) || Number(values['valid-days']) < 1) throw new CliError(`--valid-days must be a whole number of days, not ${JSON.stringify(values['valid-days'])}`);
  const base = serviceUrl(values.url ?? values.api);
  const config = loadConfig();
  let devKey;
  try {
    devKey = await readDevPrivateKey(config.dataDir);
  } catch {
    throw new CliError(`no development signing key in ${config.dataDir}/auth: run npm start once first (with the same DATA_DIR)`);
  }
  const admin = await signToken(devKey, { role: 'admin', sub: 'credential-cli' }, {
    issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, expiresIn: '5m',
  });
  const enrolment = expectJson<{ providerId: string; courseId: string; learnerSubjectId: string; status: string }>(
    await request(base, `/v1/enrolments/${values.enrolment}`, { token: admin }),
    `GET ${base}/v1/enrolments/${values.enrolment}`,
  );

  const keysFile = path.join(config.dataDir, 'demo', 'provider-keys.json');
  let keysText;
  try {
    keysText = await readFile(keysFile, 'utf8');
  } catch {
    throw new CliError(`no demo provider keys at ${keysFile}: the credential CLI signs with the keys the demo seed wrote there`);
  }
  const keys = JSON.parse(keysText) as { providers: { providerId: string; kid: string; alg: string; privateJwk: JWK }[] };
  const key = keys.providers.find((p) => p.providerId === enrolment.providerId);
  if (!key) throw new Error(`no demo signing key for provider ${enrolment.providerId} in ${keysFile}`);

  const now = new Date();
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    id: `urn:uuid:${randomUUID()}`,
    issuer: { id: issuerIdOf(enrolment.providerId), type: ['Profile'] },
    validFrom: now.toISOString(),
    validUntil: new Date(now.getTime() + Number(values['valid-days']) * DAY_MS).toISOString(),
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
