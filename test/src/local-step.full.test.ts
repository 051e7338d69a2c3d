// The explorer with local steps against the whole ones on larger searches than the fast
// tier's (local-step.test.ts): the same states by the same transitions, every local step
// checked against the whole copy and encoding.

import { describe, expect, it } from 'vitest';
import { sameBothWays } from './local-step-case.js';

describe('local steps in larger searches', () => {
  it.each([
    ['migrate-batched', 'tiny-syscalls'],
    ['migrc-fixed', 'tiny-migrc'],
    ['x86-pcid-v6.15-no-switch-barrier', 'tiny-pcid-tso'],
    ['shared-file', 'tiny-shared-file'],
    ['reclaim-batched-dirty-arm64', 'tiny-syscalls'],
    ['migrate-batched-wrong-copy-before-flush', 'small'],
    ['migrate-batched', 'small'],
  ] as const)('%s in %s', (id, world) => {
    expect(sameBothWays(id, world, 40_000)).toBe(true);
  });
});
