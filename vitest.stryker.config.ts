// The tests `npm run mutate` runs against each mutant (stryker.config.mjs): the unit and differential
// tests of src/core, src/methods and the kernel twins. Model, CLI, browser and bench tests stay out
// (slow, and they reach the mutated code only through these paths).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts', 'test/methods/**/*.test.ts', 'test/golden/methods.test.ts', 'test/kernels/**/*.test.ts'],
    // These two read source files as text (lists, quotes), which Stryker's instrumented copies break.
    exclude: ['test/kernels/registry.test.ts', 'test/methods/registry.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
