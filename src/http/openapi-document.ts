import type { Database } from '../db/client.js';
import { Ledger } from '../ledger/ledger.js';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/logger.js';
import { createNationalIdProtector } from '../lib/national-id.js';
import { allRoutes } from '../modules/index.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * The document for the committed openapi/openapi.json. Route definitions are
 * built without a database: handlers are never called here.
 */
export function openApiDocumentForRoutes() {
  const unused = new Proxy({} as Database, {
    get: () => {
      throw new Error('no database while generating the OpenAPI document');
    },
  });
  const routes = allRoutes({ database: unused, ledger: new Ledger({ clock: systemClock }), clock: systemClock, logger: createLogger('silent'), nationalIds: createNationalIdProtector('x'.repeat(32)) });
  return buildOpenApiDocument(routes);
}
