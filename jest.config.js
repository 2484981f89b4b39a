// Jest in native ESM mode (see ../shared/STACK.md): ts-jest with useESM, `.js` suffixes stripped.
// Run it through `npm test` (scripts/test.mjs), which makes sure PostgreSQL and Redis are up.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};

/** @type {import('jest').Config} */
export default {
  cacheDirectory: '<rootDir>/.jest-cache',
  // 2 cores: two test files at a time; each has its own database and queue prefix.
  maxWorkers: 2,
  // Global only: Jest ignores testTimeout inside `projects`. Booting an app takes a few seconds.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
    },
  ],
};
