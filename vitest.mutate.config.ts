// The test subset Stryker runs for each mutant (`npm run mutate`, see MUTATION.md): the
// model and property tests only, one worker, with the slowest random campaigns skipped by
// mutation/skip-slow.ts. `npm test` keeps using vitest.config.ts and runs everything.

import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The files that take seconds, not milliseconds, even with their slowest tests skipped. */
const SLOW_FILES = ['arbitraries.test.ts', 'protocols.test.ts', 'seeded-bugs.test.ts'];
const slow = (f: TestSpecification): number => (SLOW_FILES.some((name) => f.moduleId.endsWith(name)) ? 1 : 0);

/**
 * Fast files first: Stryker stops at the first failing test, and vitest's own order puts the
 * slowest file first, so a mutant a unit test kills in milliseconds would wait seconds.
 */
class FastFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => slow(a) - slow(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  test: {
    include: ['test/model/**/*.test.ts', 'test/properties/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/**/*.full.test.ts'],
    setupFiles: ['mutation/skip-slow.ts'],
    sequence: { sequencer: FastFirst },
    testTimeout: 120_000,
  },
});
