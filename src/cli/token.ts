import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { readDevPrivateKey, signToken, type TokenClaims } from '../lib/dev-keys.js';

/** Prints a development bearer token as the last line of output. */
async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      learner: { type: 'string' },
      provider: { type: 'string' },
      sub: { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
  });
  const role = values.role;
  if (role !== 'citizen' && role !== 'provider' && role !== 'finance' && role !== 'admin' && role !== 'analyst' && role !== 'counter') {
    throw new Error('--role must be one of citizen, provider, finance, admin, analyst, counter');
  }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (role === 'citizen' && !uuid.test(values.learner ?? '')) throw new Error('--role citizen needs --learner <learner id>');
  if (role === 'provider' && !uuid.test(values.provider ?? '')) throw new Error('--role provider needs --provider <provider id>');
  const config = loadConfig();
  const claims: TokenClaims = {
    role,
    sub: values.sub ?? (role === 'citizen' ? `learner:${values.learner}` : role === 'provider' ? `provider:${values.provider}` : `${role}-demo`),
    ...(role === 'citizen' ? { learner_id: values.learner! } : {}),
    ...(role === 'provider' ? { provider_id: values.provider! } : {}),
  };
  let key;
  try {
    key = await readDevPrivateKey(config.dataDir);
  } catch {
    throw new Error(`no development signing key in ${config.dataDir}/auth: run npm start once first`);
  }
  const token = await signToken(key, claims, { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, expiresIn: values.expires });
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
