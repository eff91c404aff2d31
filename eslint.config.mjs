// `npm run lint`: typescript-eslint's recommended rules (no type information, so it stays fast) plus a
// few of our own. assembly/ is AssemblyScript (its own compiler checks it); generated files are skipped.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/', 'build/', 'node_modules/', 'src/generated/', 'assembly/', 'reports/', '.stryker-tmp*/', 'camkit-out/', 'docs/api/', 'models/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': ['error', { destructuring: 'all' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Comma sequences in one-line loops are house style ((lo = min(lo, v)), (hi = max(hi, v))).
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // Electron's main and preload scripts are CommonJS.
    files: ['examples/electron/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
