// `npm run mutate`: StrykerJS over src/methods, src/core and the kernel twins (src/kernels/*.ts),
// against the tests in vitest.stryker.config.ts. Slow (tens of minutes): not part of .ci/run.
// Concurrency 1 by default (CAMKIT_MUTATE_CONCURRENCY to change); incremental, so a rerun only tests
// the mutants whose code or tests changed (reports/stryker-incremental.json).
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
  timeoutMS: 60_000,
  timeoutFactor: 3,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  ignorePatterns: ['dist', 'models', 'examples', 'camkit-out', 'reports', '.ci'],
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  thresholds: { high: 90, low: 80, break: null },
  // Only the mutated sources need @ts-nocheck (assembly/ is AssemblyScript, which babel cannot parse).
  disableTypeChecks: '{src,test,bench}/**/*.ts',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
