// ESLint (flat config): typescript-eslint's type-checked recommended rules over the TypeScript sources.
// Formatting is Prettier's job (`npm run lint:format`), not ESLint's. Each rule turned off below says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const unsafeAny = {
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default tseslint.config(
  { ignores: ['dist/', 'docs/', 'node_modules/', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // lib/ is type-checked as it is built (tsconfig.build.json: no test-only type augmentations), the rest with
      // tsconfig.json; otherwise an assertion the build needs can look unnecessary.
      parserOptions: { project: ['./tsconfig.build.json', './tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Issue 18: the connector runs inside the host's process, so every promise it starts must be handled.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `const { password: _password, ...rest } = user` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // An async function without await is how this code makes a synchronous throw a rejection (counter stores,
      // the knex migration source, SCIM's not-implemented routes); the promise rules above catch real misuse.
      '@typescript-eslint/require-await': 'off',
      // A server made before its app reads `app` in a closure that runs after the one assignment.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // These regexes exist to find control characters in input (return-to paths, names, CSV cells).
      'no-control-regex': 'off',
      // Prettier puts `[method](...)` on its own line after a call; with no ASI hazard in a formatted tree, this
      // stylistic rule only fights the formatter (eslint-config-prettier turns it off for the same reason).
      'no-unexpected-multiline': 'off',
    },
  },
  {
    // Knex returns rows as `any`; the store (and its migrations) is the one layer that reads raw rows into typed records.
    files: ['lib/store/**/*.ts', 'migrations/*.ts'],
    rules: unsafeAny,
  },
  {
    // Tests and benchmarks read JSON answers (supertest's `body: any`) and assert on them: that is their job.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: unsafeAny,
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests hold SCIM documents as `Record<string, any>` to reach into them; the `any` is the JSON answer's.
      '@typescript-eslint/no-explicit-any': 'off',
      // `expect(identity.events.on).to.be.a('function')` names a method without calling it, on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
