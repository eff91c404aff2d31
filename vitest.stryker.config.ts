// The tests `npm run mutate` runs against each mutant (stryker.config.mjs): the unit and differential
// tests of src/core, src/methods and the kernel twins. Model, CLI, browser and bench tests stay out
// (slow, and they reach the mutated code only through these paths).
// CAMKIT_MUTATE_TESTS (comma-separated globs) narrows the set for one scope, e.g. the kernel twins
// against test/kernels alone: fewer tests per mutant, and the score is then a lower bound.
import { defineConfig } from 'vitest/config';

const only = process.env.CAMKIT_MUTATE_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: only?.length ? only : ['test/core/**/*.test.ts', 'test/methods/**/*.test.ts', 'test/golden/methods.test.ts', 'test/kernels/**/*.test.ts'],
    // These two read source files as text (lists, quotes), which Stryker's instrumented copies break.
    exclude: ['test/kernels/registry.test.ts', 'test/methods/registry.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
