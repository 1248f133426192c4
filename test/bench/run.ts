/**
 * Benchmarks: `npm run bench -- <name> [flags]`.
 *   grant-run [--learners N] [--batch-size N]   one grant run over N learners (default 1,000,000)
 *   reconcile [--lines N]                       a bank statement of N lines against N payment lines (default 100,000)
 *   reserve [--learners N] [--connections 8,16,32] [--seconds 15]   self-enrolments over HTTP vs pgbench tpcb-like
 *   reserve-one-provider [same flags]           the same with every run on one provider, beside the few-provider case
 *   one-learner [--attempts 1000]               concurrent enrolments on one learner with credit for 10
 *   balance-reads [--learners N]                GET /v1/me/account at 32 connections vs GET /healthz
 *   claims [--claims N]                         approved claims/s over HTTP with real credential verification
 *   profile <file.cpuprofile>...                 CPU profiles (BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=D") by package and folder
 * Runs against BENCH_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/test)
 * in a fresh database that is dropped at the end.
 */
const benches: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  'grant-run': () => import('./grant-run.js'),
  reconcile: () => import('./reconcile.js'),
  reserve: () => import('./reserve.js'),
  'reserve-one-provider': () => import('./reserve.js').then((m) => ({ main: m.mainOneProvider })),
  'one-learner': () => import('./one-learner.js'),
  'balance-reads': () => import('./balance-reads.js'),
  claims: () => import('./claims.js'),
  profile: () => import('./profile-summary.js'),
};

async function main() {
  const [name, ...args] = process.argv.slice(2);
  const load = name ? benches[name] : undefined;
  if (!load) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [flags]\n`);
    process.exit(2);
  }
  await (await load()).main(args);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
