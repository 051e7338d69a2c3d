import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// Two tiers. `npm test` (this file): every invariant catching a seeded bug, every catalogue
// bug caught by both engines, every regression trace, the bounded proof of every correct
// protocol on a tiny world; at most five minutes on two cores. `npm run test:full`
// (vitest.full.config.ts): the `*.full.test.ts` files, what is slower (exhaustive proofs
// on larger worlds, long campaigns, the parallel explorer's stress, the migrc report).
export default defineConfig({
  // the package by name, as a user's variant file imports it, from the sources (the
  // package's exports name the compiled dist/, which a clone has only after a build)
  resolve: { alias: { shootdown: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/**/*.full.test.ts'],
    // vitest's default is one worker fewer than the cores: one on this two-core machine, so
    // the suite ran serially. The main process only waits.
    maxWorkers: availableParallelism(),
    testTimeout: 120_000,
    reporters: ['default', './test/slowest-reporter.ts'],
  },
});
