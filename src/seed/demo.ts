import type { Runtime } from '../runtime.js';
import type { Logger } from '../lib/logger.js';

/** Demo data for a first embedded start. Filled in by the entitlements work. */
export async function seedDemoData(deps: Runtime & { logger: Logger; dataDir: string }): Promise<void> {
  deps.logger.info(
    { how: 'npm run token -- --role admin' },
    'get a token with: npm run token -- --role admin (or --role citizen --learner ID, --role provider --provider ID, --role finance)',
  );
}
