import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { safeErrorMessage } from './logger.js';
import { maskNationalIds } from './national-id.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  transfers: Counter<'kind' | 'result'>;
  /** Webhook delivery attempts this process made, by outcome (delivered, failed) and the class of a failure. */
  webhookAttempts: Counter<'outcome' | 'error_class'>;
  /** What the background tasks of this process did last: /metrics and /readyz read it. */
  tasks: BackgroundTasks;
  /** Ledger deltas the fold set aside, as the last fold of this process found them. */
  quarantinedDeltas: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    transfers: new Counter({
      name: 'ledger_transfers_total',
      help: 'Ledger transfers attempted, by kind and result',
      labelNames: ['kind', 'result'],
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts, by outcome and error class (none when delivered)',
      labelNames: ['outcome', 'error_class'],
      registers: [registry],
    }),
    tasks: new BackgroundTasks({
      failures: new Counter({
        name: 'background_task_failures_total',
        help: 'Runs of a background task that failed, by task',
        labelNames: ['task'],
        registers: [registry],
      }),
      lastSuccess: new Gauge({
        name: 'background_task_last_success_timestamp_seconds',
        help: 'When a background task last succeeded (Unix time), by task',
        labelNames: ['task'],
        registers: [registry],
      }),
      lastFailure: new Gauge({
        name: 'background_task_last_failure_timestamp_seconds',
        help: 'When a background task last failed (Unix time), by task',
        labelNames: ['task'],
        registers: [registry],
      }),
      failing: new Gauge({
        name: 'background_task_failing',
        help: '1 while the last run of a background task failed, else 0, by task',
        labelNames: ['task'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'background_task_duration_seconds',
        help: 'Duration of background task runs, by task and outcome',
        labelNames: ['task', 'outcome'],
        buckets: [0.005, 0.025, 0.1, 0.5, 2.5, 10, 60],
        registers: [registry],
      }),
    }),
    quarantinedDeltas: new Gauge({
      name: 'ledger_quarantined_deltas',
      help: 'Ledger deltas the fold set aside because they would take a counter out of range; each needs an operator',
      registers: [registry],
    }),
  };
}

/** One background task as /readyz shows it. Times are ISO 8601. */
export interface TaskState {
  task: string;
  status: 'ok' | 'failing';
  lastRunAt: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** Of the last failure, without personal data (see safeErrorText). */
  lastError: string | null;
  consecutiveFailures: number;
}

/**
 * The outcome of each background task's last runs, kept in this process (the
 * one that runs them) and mirrored into Prometheus series. Error texts are
 * cleaned before they are kept, so nothing here can leak personal data.
 */
export class BackgroundTasks {
  private readonly states = new Map<string, TaskState>();

  constructor(
    private readonly series: {
      failures: Counter<'task'>;
      lastSuccess: Gauge<'task'>;
      lastFailure: Gauge<'task'>;
      failing: Gauge<'task'>;
      duration: Histogram<'task' | 'outcome'>;
    },
  ) {}

  succeeded(task: string, at: Date, seconds = 0): void {
    const prev = this.states.get(task);
    this.states.set(task, {
      task,
      status: 'ok',
      lastRunAt: at.toISOString(),
      lastSuccessAt: at.toISOString(),
      lastFailureAt: prev?.lastFailureAt ?? null,
      lastError: prev?.lastError ?? null,
      consecutiveFailures: 0,
    });
    // The failure series exists from the first run, so a rate() alert sees its first failure.
    this.series.failures.inc({ task }, 0);
    this.series.lastSuccess.set({ task }, at.getTime() / 1000);
    this.series.failing.set({ task }, 0);
    this.series.duration.observe({ task, outcome: 'ok' }, seconds);
  }

  failed(task: string, at: Date, err: unknown, seconds = 0): TaskState {
    const prev = this.states.get(task);
    const state: TaskState = {
      task,
      status: 'failing',
      lastRunAt: at.toISOString(),
      lastSuccessAt: prev?.lastSuccessAt ?? null,
      lastFailureAt: at.toISOString(),
      lastError: safeErrorText(err),
      consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1,
    };
    this.states.set(task, state);
    this.series.failures.inc({ task });
    this.series.lastFailure.set({ task }, at.getTime() / 1000);
    this.series.failing.set({ task }, 1);
    this.series.duration.observe({ task, outcome: 'failed' }, seconds);
    return state;
  }

  /** Every task that has run, by name. */
  snapshot(): TaskState[] {
    return [...this.states.values()].sort((a, b) => a.task.localeCompare(b.task));
  }
}

/**
 * An error as an operator may read it anywhere, /readyz included (which
 * answers without a token): the SQLSTATE and the first line of the message,
 * cleaned as the logger cleans it (safeErrorMessage: quoted values out, quoted
 * identifiers kept; national ids masked), and stricter still: quoted
 * literals, dates, runs of 6 or more digits and e-mail addresses go too.
 * PostgreSQL's `detail` (the failing row's values) and a query's parameters
 * are never read.
 */
export function safeErrorText(err: unknown): string {
  const e = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  let code: string | undefined;
  for (let x: unknown = err, depth = 0; x && depth < 4 && !code; depth++) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c)) code = c;
    x = (x as { cause?: unknown }).cause;
  }
  // drizzle wraps the driver's error as "Failed query: <sql>\nparams: ..." with the pg error as cause: read the cause.
  const inner = e.cause instanceof Error && (/^Failed query/.test(String(e.message)) || (e.cause as { code?: unknown }).code !== undefined) ? e.cause : err;
  const raw = inner instanceof Error ? inner.message : typeof inner === 'string' ? inner : 'unknown error';
  let text = (raw.split('\n')[0] ?? '').slice(0, 300);
  text = maskNationalIds(safeErrorMessage(text))
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/[^\s@"']+@[^\s@"']+/g, '…')
    .replace(/\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?/g, '…')
    .replace(/\d{6,}/g, '…');
  const name = inner instanceof Error && inner.name && inner.name !== 'Error' && inner.name !== 'DatabaseError' ? `${inner.name}: ` : '';
  return `${code ? `${code} ` : ''}${name}${text}`.trim();
}
