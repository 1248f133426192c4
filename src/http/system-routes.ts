import type { Express } from 'express';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { migrationsCurrent } from '../db/migrate.js';
import type { Metrics } from '../lib/metrics.js';
import { sendProblem } from './error-handler.js';
import { problemBody } from './problem.js';

/** Unauthenticated operational endpoints. The access test lists them as the only public ones. */
export const publicPaths = ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'] as const;

export function systemRoutes(app: Express, deps: { database: Database; metrics: Metrics }): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (req, res) => {
    try {
      await deps.database.db.execute(sql`select 1`);
      if (!(await migrationsCurrent(deps.database.db))) {
        sendProblem(req, res, problemBody('service_unavailable', 'database migrations are not current'));
        return;
      }
      res.json({ status: 'ready', database: 'ok', migrations: 'current' });
    } catch {
      sendProblem(req, res, problemBody('service_unavailable', 'the database is unreachable'));
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
