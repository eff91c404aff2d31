// Reads the public golden file once per test file (11 MB); never copied into the repo.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseGolden, type GoldenFile } from '../../src/conformance/golden.js';

export const GOLDEN_PATH = fileURLToPath(new URL('../../../shared/golden/golden-public.json', import.meta.url));

let cached: GoldenFile | null = null;
export function loadGolden(): GoldenFile {
  return (cached ??= parseGolden(readFileSync(GOLDEN_PATH, 'utf8'), GOLDEN_PATH));
}
