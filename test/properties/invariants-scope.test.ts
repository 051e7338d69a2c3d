// Invariant predicates at the edges the main invariant tests leave open, each on hand-built
// states: noAccessAfterRevoke case by case, pages that are not live, entries of another mm
// or page, a dst in frame 0, worlds of different shapes checked one after the other, and
// the words of each witness that name where the data is.

import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import type { Action } from '../../model/actions.js';
import { CONFIGS } from '../../model/config.js';
import { tlbSlot } from '../../model/hardware.js';
import { initialState, type Prot, type State } from '../../model/state.js';
import {
  dirtyBitWriteThroughTrap,
  dirtyNeverDroppedClean,
  findInvariant,
  INVARIANTS,
  noAccessAfterRevoke,
  noAccessToFreedFrame,
  noLostWrite,
  noStaleWritableTlbAfterRemap,
} from '../../properties/invariants.js';
import {
  clean,
  dirtyEntry,
  load,
  none,
  ownFrame,
  present,
  readOnly,
  store,
  variant,
  withTlb,
} from '../support.js';

const small = initialState(CONFIGS.small);

/** Page 0 of mm 0 is not live: MADV_FREE returned and nothing wrote it since. */
const notLive = (s: State): State =>
  produce(s, (d) => {
    d.ghost.lazy[0]![0] = true;
  });

describe('findInvariant', () => {
  it('returns the invariant with that id', () => {
    for (const i of INVARIANTS) expect(findInvariant(i.id)).toBe(i);
    expect(findInvariant('noSuchInvariant')).toBeUndefined();
  });
});

describe('noAccessAfterRevoke', () => {
  /** small, with what the last mprotect()/munmap() of page 0 promised, and CPU 1 caching `entry`. */
  const revoked = (promised: Prot, entry = dirtyEntry(0)): State =>
    produce(withTlb(small, 1, 0, 0, entry), (d) => {
      d.ghost.promised[0]![0] = promised;
    });
  const check = (pre: State, action: Action, post: State = pre) =>
    noAccessAfterRevoke.check(post, { pre, action });

  it('is violated by a load through a stale entry after munmap() returned', () => {
    const w = check(revoked('none'), load(1, 0));
    expect(w).toMatchObject({ cpu: 1, mm: 0, vpage: 0, frame: 0 });
    expect(w!.message).toContain('loaded from page 0');
    expect(w!.message).toContain('munmap() returned');
    // a load needs no write permission: a read-only or clean entry serves it just as well
    expect(check(revoked('none', readOnly(0)), load(1, 0))).toMatchObject({ cpu: 1, frame: 0 });
    expect(check(revoked('none', clean(0)), load(1, 0))).toMatchObject({ cpu: 1, frame: 0 });
  });

  it('is violated by a store that went through a cached writable entry after mprotect(PROT_READ)', () => {
    const w = check(revoked('ro'), store(1, 0, 1));
    expect(w).toMatchObject({ cpu: 1, mm: 0, vpage: 0, frame: 0 });
    expect(w!.message).toContain('stored to page 0');
    expect(w!.message).toContain('mprotect(PROT_READ) returned');
  });

  it('holds for a load of a read-only page, and for any access the promise allows', () => {
    expect(check(revoked('ro'), load(1, 0))).toBeNull();
    expect(check(revoked('rw'), store(1, 0, 1))).toBeNull();
  });

  it('holds for an access with no cached entry: a walk reads the PTE', () => {
    const noEntry = produce(small, (d) => {
      d.ghost.promised[0]![0] = 'none';
    });
    expect(check(noEntry, store(1, 0, 1))).toBeNull();
    expect(check(noEntry, load(1, 0))).toBeNull();
  });

  it('holds for a store that did not go through the entry: read-only, dropped, still clean, or to another frame', () => {
    expect(check(revoked('ro', readOnly(0)), store(1, 0, 1))).toBeNull();
    const pre = revoked('ro', clean(0));
    expect(check(pre, store(1, 0, 1), withTlb(pre, 1, 0, 0, null))).toBeNull();
    expect(check(pre, store(1, 0, 1))).toBeNull();
    expect(check(pre, store(1, 0, 1), withTlb(pre, 1, 0, 0, dirtyEntry(2)))).toBeNull();
    // the same store, had it dirtied the cached entry, did go through
    expect(check(pre, store(1, 0, 1), withTlb(pre, 1, 0, 0, dirtyEntry(0)))).not.toBeNull();
  });

  it('reads only user accesses, and needs a step', () => {
    const pre = revoked('none');
    expect(check(pre, { op: 'tlbEvict', cpu: 1, mm: 0, vpage: 0 })).toBeNull();
    expect(noAccessAfterRevoke.check(pre)).toBeNull();
  });
});

describe('noStaleWritableTlbAfterRemap', () => {
  it('counts a dst in frame 0 as a remap like any other', () => {
    const s = produce(small, (d) => {
      d.tasks[0]!.job = 'migrate';
      d.tasks[0]!.folios = [{ mm: 0, vpage: 1, src: 1, dst: 0 }];
      d.mms[0]!.pte[0] = { kind: 'none' };
      d.mms[0]!.pte[1] = present(0);
      d.frames[0]!.owner = { kind: 'anon', mm: 0, vpage: 1 };
      d.cpus[1]!.tlb[tlbSlot(small, 0, 1)] = dirtyEntry(1);
    });
    expect(noStaleWritableTlbAfterRemap.check(s)).toMatchObject({ cpu: 1, mm: 0, vpage: 1, frame: 1 });
  });

  /** two-mms, mm 1's page 0 remapped from src frame 1 to dst frame 2. */
  const remapped = produce(ownFrame(initialState(CONFIGS['two-mms']), 2, 1, 0, 0), (d) => {
    d.tasks[0]!.job = 'migrate';
    d.tasks[0]!.folios = [{ mm: 1, vpage: 0, src: 1, dst: 2 }];
    d.frames[2]!.refcount = 2;
    d.mms[1]!.pte[0] = present(2);
  });

  it("ignores a writable entry to src kept for the other mm's page of the same number", () => {
    expect(noStaleWritableTlbAfterRemap.check(withTlb(remapped, 0, 0, 0, dirtyEntry(1)))).toBeNull();
    expect(noStaleWritableTlbAfterRemap.check(withTlb(remapped, 0, 1, 0, dirtyEntry(1)))).not.toBeNull();
  });

  it('ignores a page that is not live (munmap() or MADV_FREE may race with it)', () => {
    const stale = withTlb(remapped, 0, 1, 0, dirtyEntry(1));
    const lazy = produce(stale, (d) => {
      d.ghost.lazy[1]![0] = true;
    });
    expect(noStaleWritableTlbAfterRemap.check(lazy)).toBeNull();
  });
});

describe('dirtyBitWriteThroughTrap', () => {
  it('is violated by a store that dirties a clean entry while the PTE is a writable migration entry', () => {
    const noTrap = variant('reclaim-batched-wrong-no-dirty-trap');
    const pre = produce(withTlb(small, 1, 0, 0, clean(0)), (d) => {
      d.mms[0]!.pte[0] = { kind: 'migration', frame: 0, writable: true, dirty: false };
    });
    const post = withTlb(pre, 1, 0, 0, dirtyEntry(0));
    const w = dirtyBitWriteThroughTrap.check(post, { pre, action: store(1, 0, 1) });
    expect(w).toMatchObject({ cpu: 1, vpage: 0, frame: 0 });
    expect(w!.message).toContain('whose PTE was migration');
    expect(noTrap.policy.arch.dirtyBitTrap).toBe(false);
  });
});

describe('noLostWrite', () => {
  it('says where the page holds the wrong value: a frame, or swap', () => {
    const inFrame = produce(small, (d) => {
      d.ghost.memory[0]![0] = 1;
    });
    expect(noLostWrite.check(inFrame)!.message).toContain('holds 0 in frame 0, but the last store wrote 1');
    const inSwap = produce(inFrame, (d) => {
      d.mms[0]!.pte[0] = { kind: 'none' };
      d.frames[0]!.owner = { kind: 'free' };
    });
    expect(noLostWrite.check(inSwap)!.message).toContain('holds 0 in swap, but the last store wrote 1');
  });

  it('checks every page of each world, whatever world it checked before', () => {
    const lostOnPage1 = produce(small, (d) => {
      d.ghost.memory[0]![1] = 1;
    });
    // the page list is cached per world shape: one page per mm, then two, then one again
    expect(noLostWrite.check(initialState(CONFIGS.tiny))).toBeNull();
    expect(noLostWrite.check(lostOnPage1)).toMatchObject({ mm: 0, vpage: 1 });
    expect(noLostWrite.check(initialState(CONFIGS.tiny))).toBeNull();
    expect(noLostWrite.check(lostOnPage1)).toMatchObject({ mm: 0, vpage: 1 });
  });
});

describe('noAccessToFreedFrame', () => {
  it('leaves an entry to a frame munmap() took off its page (still allocated) to noAccessAfterRevoke', () => {
    const s = produce(withTlb(small, 1, 0, 0, readOnly(0)), (d) => {
      d.mms[0]!.pte[0] = none;
      d.frames[0]!.owner = { kind: 'unmapped' };
    });
    expect(noAccessToFreedFrame.check(s)).toBeNull();
    const freed = produce(s, (d) => {
      d.frames[0]!.owner = { kind: 'free' };
    });
    expect(noAccessToFreedFrame.check(freed)).not.toBeNull();
  });
});

describe('dirtyNeverDroppedClean', () => {
  it('ignores a page that is not live when its frame is dropped', () => {
    // page 0 held 1 in frame 0 and 0 on disk; the step discards frame 0
    const pre = produce(small, (d) => {
      d.frames[0]!.data = 1;
    });
    const post = produce(pre, (d) => {
      d.mms[0]!.pte[0] = none;
      d.frames[0]!.owner = { kind: 'free' };
    });
    const step = { pre, action: { op: 'kernelStep', task: 0 } as const };
    expect(dirtyNeverDroppedClean.check(post, step)).toMatchObject({ vpage: 0, frame: 0 });
    expect(dirtyNeverDroppedClean.check(notLive(post), { ...step, pre: notLive(pre) })).toBeNull();
  });
});
