// Re-exports the tests' one golden loader (test/helpers/golden.ts).
export { GOLDEN_PATH, GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
export type { GoldenCase, GoldenFile, GoldenMethod } from '../helpers/golden.js';
