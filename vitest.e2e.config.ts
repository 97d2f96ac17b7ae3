import { defineConfig } from 'vitest/config';

// The opt-in end-to-end suite: real kind clusters, real Istio, real images. Needs Docker and
// internet; run with `npm run test:e2e` (KINDLAB_E2E_LABS=canary-l4,istio-bookinfo to pick labs).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 10 * 60_000,
    pool: 'forks',
    // One lab at a time: each needs several GiB of Docker memory.
    fileParallelism: false,
  },
});
