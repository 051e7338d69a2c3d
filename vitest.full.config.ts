import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// The full tier (`npm run test:full`): only the `*.full.test.ts` files, the slow half of
// the suite that `npm test` leaves out (see vitest.config.ts). CI runs both tiers.
export default defineConfig({
  // the package by name, as a user's variant file imports it, from the sources (the
  // package's exports name the compiled dist/, which a clone has only after a build)
  resolve: { alias: { shootdown: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.full.test.ts'],
    exclude: [...configDefaults.exclude],
    // vitest's default is one worker fewer than the cores: one on this two-core machine, so
    // the suite ran serially. The main process only waits.
    maxWorkers: availableParallelism(),
    testTimeout: 900_000,
    reporters: ['default', './test/slowest-reporter.ts'],
  },
});
