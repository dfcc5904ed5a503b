import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The probe is run only by test/harness/temp-root.test.ts, with its own config.
    exclude: ['**/node_modules/**', 'test/harness/temp-probe/**'],
    // Every test file's temporary folders are removed after it, whatever the test forgot.
    setupFiles: ['test/harness/temp-root.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
