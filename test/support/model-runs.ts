import fc from 'fast-check';

/**
 * The fast-check options of a stateful model test that replays whole runs
 * against the database: FC_RUNS (or `runs`) runs, reproducible with the
 * FC_SEED and FC_PATH that fast-check prints, and shrinking capped at
 * FC_TIME_LIMIT seconds (or `timeLimitSeconds`) so a failure reports within
 * the test's timeout.
 */
export function modelRunOptions(defaults: { runs: number; timeLimitSeconds: number }) {
  const numRuns = Number(process.env.FC_RUNS ?? defaults.runs);
  const timeLimitMs = Number(process.env.FC_TIME_LIMIT ?? defaults.timeLimitSeconds) * 1000;
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  const path = process.env.FC_PATH;
  return {
    numRuns,
    seed,
    timeLimitMs,
    parameters: {
      numRuns,
      ...(seed === undefined ? {} : { seed }),
      ...(path === undefined ? {} : { path }),
      plugins: [fc.interruptAfterTimeLimit(timeLimitMs, { failOnInterrupt: true })],
    },
  };
}
