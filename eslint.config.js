import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'scratch/', 'coverage/', 'src/http/public/vendor/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['src/http/page/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly', window: 'readonly', navigator: 'readonly', fetch: 'readonly', FormData: 'readonly',
        File: 'readonly', Option: 'readonly', performance: 'readonly',
      },
    },
  },
  {
    // Command-line tools (bench, load test): the console is their user interface.
    files: ['scripts/**', 'test/**', 'tools/**', 'examples/**'],
    rules: { 'no-console': 'off' },
  },
);
