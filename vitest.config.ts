import { defineConfig } from 'vitest/config';

// Tests read the real benchmark files from DATA (default data/, CI passes ../shared/data).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
