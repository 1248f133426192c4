import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CompactSign, importJWK, type JWK } from 'jose';
import { loadConfig } from '../config.js';
import { readDevPrivateKey, signToken } from '../lib/dev-keys.js';
import { DAY_MS } from '../lib/dates.js';
import type { MicroCredential } from '../modules/courses/micro-credential.js';
import { basisPointsOf, completionCredential } from '../modules/credentials/credential-shape.js';
import { CliError, expectJson, request, serviceUrl } from './service-client.js';

const USAGE = 'usage: npm run -s credential -- --enrolment <enrolment id> [--module <n>, on a modular course] [--attendance <percent, such as 90>] [--status Completed|Failed] [--grade A]\n' +
  '  [--url <service URL>] [--valid-days 365]\n' +
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
      /** On a modular course: the module (1 = first) the credential is for. */
      module: { type: 'string' },
      url: { type: 'string' },
      /** The flag's earlier name. */
      api: { type: 'string' },
      'valid-days': { type: 'string', default: '365' },
      attendance: { type: 'string', default: '100' },
      status: { type: 'string', default: 'Completed' },
      grade: { type: 'string' },
    },
  });
  const attendanceBps = basisPointsOf(values.attendance);
  if (attendanceBps === null) throw new CliError(`--attendance must be a percentage from 0 to 100, not ${JSON.stringify(values.attendance)}`);
  if (values.status !== 'Completed' && values.status !== 'Failed') throw new CliError(`--status must be Completed or Failed, not ${JSON.stringify(values.status)}`);
  if (!/^[0-9a-f-]{36}$/i.test(values.enrolment ?? '')) throw new CliError(USAGE);
  if (values.module !== undefined && !/^[1-9][0-9]?$/.test(values.module)) throw new CliError(`--module must be a module number (1 = first), not ${JSON.stringify(values.module)}`);
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

  const course = expectJson<{ title: string; hours: number; microCredential: MicroCredential | null; modules: { ordinal: number; title: string; achievementId: string }[] }>(
    await request(base, `/v1/courses/${enrolment.courseId}`, { token: admin }),
    `GET ${base}/v1/courses/${enrolment.courseId}`,
  );
  const provider = expectJson<{ legalName: string }>(
    await request(base, `/v1/providers/${enrolment.providerId}`, { token: admin }),
    `GET ${base}/v1/providers/${enrolment.providerId}`,
  );

  const module = values.module === undefined ? undefined : course.modules.find((m) => m.ordinal === Number(values.module));
  if (values.module !== undefined && !module) throw new CliError(`the course has ${course.modules.length} modules: there is no module ${values.module}`);

  const now = new Date();
  const credential = completionCredential({
    providerId: enrolment.providerId,
    issuerName: provider.legalName,
    subjectId: enrolment.learnerSubjectId,
    course: { courseId: enrolment.courseId, title: course.title, hours: course.hours, microCredential: course.microCredential, module },
    id: `urn:uuid:${randomUUID()}`,
    validFrom: now,
    validUntil: new Date(now.getTime() + Number(values['valid-days']) * DAY_MS),
    attendanceBps,
    status: values.status,
    grade: values.grade,
  });
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(credential)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'vc+jwt' })
    .sign(await importJWK(key.privateJwk, key.alg));
  process.stderr.write(`credential ${String(credential.id)} for enrolment ${values.enrolment} (status ${enrolment.status}), signed with ${key.kid}\n`);
  process.stdout.write(`${jws}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
