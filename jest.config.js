/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // ts-jest compiles each file alone (tsconfig's isolatedModules); `npm run build` type-checks.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // One worker per core, where jest's default leaves one idle: most test files spend their time
  // waiting on local servers, ffmpeg and cfn-guard, so two files at once keep both cores busy
  // (jest alone: 513 s with one worker on 2 cores, 329 s with two and cfn-guard's kept findings).
  maxWorkers: '100%',
  testTimeout: 60_000,
};
