import type { Express } from 'express';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { migrationsCurrent } from '../db/migrate.js';
import { quarantineSummary } from '../ledger/ledger.js';
import type { Metrics } from '../lib/metrics.js';
import { sendProblem } from './error-handler.js';
import { problemBody } from './problem.js';

/** Unauthenticated endpoints: operations, the API docs, and the portal's front page (src/web/). The access test lists them as the only public ones. */
export const publicPaths = ['/', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'] as const;

/** Ledger deltas the fold set aside; undefined when the database cannot say. */
async function quarantinedDeltas(database: Database): Promise<number | undefined> {
  try {
    return (await quarantineSummary(database.db)).deltas;
  } catch {
    return undefined;
  }
}

export function systemRoutes(app: Express, deps: { database: Database; metrics: Metrics }): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /**
   * 503 when this process cannot serve (no database, migrations behind).
   * Background trouble does not take it out of rotation, since that would not
   * fix it: a failing task or a quarantined ledger delta turns the status to
   * `degraded` (still 200) and is named in the details. `tasks` lists the
   * background tasks this process has run; `ledger` appears when it needs
   * an operator.
   */
  app.get('/readyz', async (req, res) => {
    try {
      await deps.database.db.execute(sql`select 1`);
      if (!(await migrationsCurrent(deps.database.db))) {
        sendProblem(req, res, problemBody('service_unavailable', 'database migrations are not current'));
        return;
      }
    } catch {
      sendProblem(req, res, problemBody('service_unavailable', 'the database is unreachable'));
      return;
    }
    const tasks = deps.metrics.tasks.snapshot();
    const quarantined = await quarantinedDeltas(deps.database);
    const failing = tasks.filter((t) => t.status === 'failing');
    const degraded = failing.length > 0 || (quarantined ?? 0) > 0;
    res.json({
      status: degraded ? 'degraded' : 'ready',
      database: 'ok',
      migrations: 'current',
      ...(tasks.length > 0 ? { tasks: Object.fromEntries(tasks.map(({ task, ...state }) => [task, state])) } : {}),
      ...(failing.length > 0 ? { failingTasks: failing.map((t) => t.task) } : {}),
      ...(quarantined ? { ledger: { quarantinedDeltas: quarantined } } : {}),
    });
  });

  // Never waits on the database: the fold (runMaintenance) keeps ledger_quarantined_deltas current.
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
