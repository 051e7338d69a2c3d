// The twin's proof in two-zaps, seconds (npm run test:full; its manifest row too): today's
// zap, with mm_tlb_flush_nested(), keeps every promise judged per call.

import { describe, expect, it } from 'vitest';
import { CONFIGS } from '../../model/config.js';
import { explore } from '../../src/engine/explore.js';
import { recordedStates, variant } from '../support.js';

describe('two-zaps, judged per call', () => {
  it('today’s kernel holds in every state', () => {
    const r = explore(variant('reclaim-batched-dirty'), CONFIGS['two-zaps'], { maxStates: 400_000 });
    expect([r.complete, r.violation]).toEqual([true, null]);
    expect(r.distinct).toBe(recordedStates('reclaim-batched-dirty', 'two-zaps'));
  });
});
