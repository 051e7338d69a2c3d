// Mutation testing of the spec (model/) and the properties (properties/): `npm run mutate`.
// How to run it, what it costs and what survives: MUTATION.md.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // The model and property tests, with the slowest random campaigns skipped.
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  mutate: ['model/**/*.ts', 'properties/**/*.ts'],
  plugins: ['@stryker-mutator/vitest-runner', './mutation/prose-ignorer.mjs'],
  ignorers: ['prose'],
  // Each mutant runs only the tests that executed its code in the dry run.
  coverageAnalysis: 'perTest',
  // A mutant the tests reach only while loading (registry data, module constants) would
  // need a full reload and every test, about 25 s each: skipped, and listed as "ignored".
  // One reached both while loading and inside tests still runs, with the tests that reach
  // it. `--ignoreStatic false` tests them all (MUTATION.md).
  ignoreStatic: true,
  // Results carry over between runs (committed): only changed code and tests are re-run.
  incremental: true,
  incrementalFile: 'mutation/stryker-incremental.json',
  // Two cores, and a colleague may need one: raise with --concurrency.
  concurrency: 1,
  // The exhaustive tests slow down under instrumentation and under load; a mutant that
  // makes a search explode still times out (and counts as detected).
  timeoutFactor: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Inside reports/ (git-ignored) so an interrupted run leaves no untracked sandbox behind.
  tempDirName: 'reports/stryker-tmp',
  // No biome.json in the sandbox: Biome would find a second root configuration under reports/.
  ignorePatterns: [
    'biome.json',
    'test-output',
    'tmp-measure',
    'reports',
    'bench',
    'docs',
    'examples',
    'mutation/*.log',
  ],
  thresholds: { high: 90, low: 85, break: null },
};
