// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node globals for the plain JS/MJS files (TypeScript files are checked by tsc, not `no-undef`).
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'fetch',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.jest-cache/**',
      '.escale-data/**',
      'src/schema.gql',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: nodeGlobals,
    },
    rules: {
      // Nest modules are decorated empty classes: `@Module({...}) export class XModule {}`.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Unused arguments/variables are fine when prefixed with `_` (resolver, guard signatures).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `interface Foo extends Bar {}` is common with Nest / GraphQL input types.
      '@typescript-eslint/no-empty-object-type': [
        'error',
        { allowInterfaces: 'with-single-extends' },
      ],
      // `declare global { namespace Express { ... } }` augmentations are allowed.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      // Raw TypeORM rows, JSON DSL payloads and test doubles legitimately use `any`.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
