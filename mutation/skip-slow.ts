// Vitest setup for mutation runs only (vitest.mutate.config.ts): skips the random campaigns
// that cost minutes per mutant. Each kills nothing the kept tests would not: the random
// engine's seeded-bug hunts have an exhaustive twin in the same file that pins the shortest
// counterexample of the same (variant, invariant), and the 1000-run protocol campaigns are
// kept at 300 runs per config ("all hold on config ...").

import { beforeEach } from 'vitest';

/** Test names skipped under mutation, each with the seconds it takes in `npm test`. */
const SLOW = [
  /\(random engine\)$/, // test/properties/seeded-bugs.test.ts, 34 tests, ~130 s
  /holds for \d+ runs in its own world/, // test/properties/protocols.test.ts, 7 tests, ~13 s
];

beforeEach((context) => {
  if (SLOW.some((re) => re.test(context.task.name))) context.skip();
});
