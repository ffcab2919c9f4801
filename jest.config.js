/** Unit tests are pure and fast; integration tests talk to the real PostgreSQL and Redis (and a local HTTP server). */
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Several tests run daemons as the operator does, as processes of the built CLI: built once, before them all.
      globalSetup: '<rootDir>/test/helpers/build-cli.js',
    },
  ],
  // A global option (projects ignore it): integration tests start daemons and wait for real queues.
  testTimeout: 60000,
};
