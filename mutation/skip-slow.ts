// Vitest setup for mutation runs only (vitest.mutate.config.ts): skips the random campaigns
// that cost seconds to minutes per mutant, each with a cheaper stand-in among the kept
// tests: the random engine's seeded-bug hunts have an exhaustive twin in the same file that
// pins the shortest counterexample of the same (variant, invariant); of the correct
// protocols' campaigns the one on config tiny is kept; the random engine's determinism is
// src/'s concern. `npm test` does not load this file.

import { beforeEach } from 'vitest';

/** Test names skipped under mutation, each with the seconds it takes in `npm test`. */
const SLOW = [
  /\(random engine\)$/, // test/properties/seeded-bugs.test.ts, 34 tests, ~130 s
  /holds for \d+ runs in its own world/, // test/properties/protocols.test.ts, 7 tests, ~13 s
  /^all hold on config (two-mms|two-tasks)$/, // test/properties/protocols.test.ts, 2 tests, ~7 s
  /^is deterministic for a seed$/, // test/properties/arbitraries.test.ts, 1 test, ~4 s
];

beforeEach((context) => {
  if (SLOW.some((re) => re.test(context.task.name))) context.skip();
});
