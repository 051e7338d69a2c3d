// The test subset Stryker runs for each mutant (`npm run mutate`, see MUTATION.md): the
// model and property tests only, one worker, with the slowest random campaigns skipped by
// mutation/skip-slow.ts. `npm test` keeps using vitest.config.ts and runs everything.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/model/**/*.test.ts', 'test/properties/**/*.test.ts'],
    setupFiles: ['mutation/skip-slow.ts'],
    testTimeout: 120_000,
  },
});
