import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The opt-in end-to-end suite needs Docker and internet: `npm run test:e2e` (vitest.e2e.config.ts).
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two workers on the 2-core build machines: most test time is spent in child processes (the
    // fake kind/kubectl/docker), so one worker leaves a core idle.
    maxWorkers: 2,
  },
});
