// Lint for streamfront: ESLint's and typescript-eslint's recommended rules, without type
// information (fast, and independent of the compiler version). Formatting belongs to prettier.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'data/', 'test-artifacts/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // TypeScript already reports undefined names, and the player's browser globals are typed in player/*.d.ts.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Request paths and log fields are checked for NUL and other control bytes on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests walk parsed YAML and JSON documents whose shape is what they assert.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
