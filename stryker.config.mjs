// StrykerJS over src/methods, src/core and the kernel twins (src/kernels/*.ts), against the tests in
// vitest.stryker.config.ts. `npm run mutate` (scripts/mutate.mjs) calls it once per scope with
// CAMKIT_MUTATE_SCOPE, CAMKIT_MUTATE_TESTS and CAMKIT_MUTATE_TMP set; `npm run mutate:stryker -- --mutate
// 'GLOBS'` is a plain run (every file at once against every test in that config takes hours). Slow:
// not part of .ci/run. Concurrency 1 by default (CAMKIT_MUTATE_CONCURRENCY to change).
// Each scope (CAMKIT_MUTATE_SCOPE, else the --mutate value as a slug, or `all`) has its own JSON report
// and incremental file in reports/mutation/scopes/, so scopes do not overwrite each other's results and
// a rerun only tests the mutants whose code or tests changed; `npm run mutate:score` merges them.
import { fileURLToPath } from 'node:url';

/** The --mutate value of this run as a file-name slug ('src/core/**\/*.ts' → 'src-core'), or 'all'. */
function scopeSlug(argv) {
  const i = argv.findIndex((a) => a === '--mutate' || a === '-m' || a.startsWith('--mutate='));
  if (i < 0) return 'all';
  const v = argv[i].startsWith('--mutate=') ? argv[i].slice('--mutate='.length) : (argv[i + 1] ?? '');
  const slug = v
    .split(',')
    .map((g) => g.replace(/\*\*\/?|\*\.ts$|\.ts$|[{}]/g, '').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, ''))
    .join('+');
  return slug || 'all';
}
/** CAMKIT_MUTATE_SCOPE names the scope instead (for long --mutate lists); names are cut at 80 characters. */
const scope = `reports/mutation/scopes/${(process.env.CAMKIT_MUTATE_SCOPE ?? scopeSlug(process.argv)).slice(0, 80)}`;

// The property tests' fast-check runs (test/helpers/kernels.ts fuzzRuns) shrink for the mutants; the
// edge cases they always include are what kill most mutants.
process.env.FUZZ_RUNS ??= '8';
// Tests too slow on instrumented code check this (it.skipIf) and stay out of mutation runs.
process.env.CAMKIT_MUTATE = '1';
// The sandboxes live in .stryker-tmp/, so ../shared (the golden references) is named explicitly.
process.env.CAMKIT_SHARED ??= fileURLToPath(new URL('../shared', import.meta.url));

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['src/methods/**/*.ts', 'src/core/**/*.ts', 'src/kernels/*.ts', '!src/kernels/abi.ts'],
  coverageAnalysis: 'perTest',
  // Mutants in module-level code (constant tables) would need every test rerun per mutant.
  ignoreStatic: true,
  concurrency: Number(process.env.CAMKIT_MUTATE_CONCURRENCY ?? 1),
  // A mutant's time limit is timeoutFactor × its tests' net time + timeoutMS + the dry run's overhead
  // (about 25 s: vitest's start-up), so infinite loops the hit limit misses cost under a minute each.
  timeoutMS: 15_000,
  // The first run of every test file on a busy 2-core machine takes minutes.
  dryRunTimeoutMinutes: 40,
  timeoutFactor: 3,
  incremental: true,
  incrementalFile: `${scope}.incremental.json`,
  ignorePatterns: ['dist', 'models', 'examples', 'camkit-out', 'reports', '.ci', '.stryker-tmp*'],
  // event-recorder writes each mutant's result as it lands (reports/mutation/scopes/<scope>.events), so a run stopped early still tells.
  reporters: ['clear-text', 'progress-append-only', 'json', 'html', 'event-recorder'],
  eventReporter: { baseDir: `${scope}.events` },
  jsonReporter: { fileName: `${scope}.json` },
  htmlReporter: { fileName: `${scope}.html` },
  thresholds: { high: 90, low: 80, break: null },
  // Only the mutated sources need @ts-nocheck (assembly/ is AssemblyScript, which babel cannot parse).
  disableTypeChecks: '{src,test,bench}/**/*.ts',
  // Two runs at once (two scopes on two cores) need two sandboxes: CAMKIT_MUTATE_TMP=.stryker-tmp-2.
  tempDirName: process.env.CAMKIT_MUTATE_TMP ?? '.stryker-tmp',
  cleanTempDir: 'always',
};
