import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// CAMKIT_WASM_MODULE=FILE makes every import of src/generated/wasm.ts load FILE instead (a module of
// the same shape written by `node scripts/build-wasm.mjs --out FILE`; FILE-ext.ts likewise replaces
// src/generated/wasm-ext.ts): scripts/check-kernel-breaks.mjs
// runs the tests against deliberately broken wasm builds this way.
const wasmModule = process.env.CAMKIT_WASM_MODULE;

export default defineConfig({
  resolve: {
    alias: wasmModule
      ? [
          { find: /^(\.\.\/)+(src\/)?generated\/wasm\.js$/, replacement: resolve(wasmModule) },
          { find: /^(\.\.\/)+(src\/)?generated\/wasm-ext\.js$/, replacement: resolve(wasmModule).replace(/\.ts$/, '-ext.ts') },
        ]
      : [],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
