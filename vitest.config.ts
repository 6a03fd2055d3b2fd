import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tools/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds dist/ once (the detect workers and the syscall test run compiled code).
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-native-env.ts'],
    // Model-backed tests share two cores; files run one at a time to keep timings sane.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
