// Exact ids for states, for the liveness engine's graph: every state's encoding (padded to
// whole 32-bit words) kept in one arena, found through an open-addressing table of ids
// keyed by a hash of its words and confirmed word by word. No hash compaction: equal bytes
// get one id, different bytes never share one, so a liveness verdict stays exact. A Map
// keyed by latin1 strings of the bytes, as before, took about a third of the engine's time
// (--cpu-prof, reclaim-batched-dirty-arm64 in tiny-syscalls), and a Uint8Array a state
// most of its garbage collection.

import { allocate, fingerprint } from './visited.js';

export class StateIds {
  /** States held. Ids are 0 to count - 1, in the order they were added. */
  count = 0;
  private arena: Uint32Array;
  private view: Uint8Array;
  /** Each id's hash, so that growing the table does not hash every state again. */
  private hashes: Uint32Array;
  /** id + 1 in each slot; 0 is empty. */
  private slots: Int32Array;
  private readonly fp = new Uint32Array(2);

  constructor(
    /** Words a state takes. */
    readonly words: number,
    initial = 1 << 12,
  ) {
    this.arena = allocate(Uint32Array, initial * words);
    this.view = new Uint8Array(this.arena.buffer);
    this.hashes = allocate(Uint32Array, initial);
    this.slots = allocate(Int32Array, initial * 2);
  }

  /**
   * The id of the state whose padded encoding is `w[0, words)`, added as `count` if it is
   * new; -1 if it is new and `limit` states are held already.
   */
  intern(w: Uint32Array, limit: number): number {
    fingerprint(w, this.words, this.fp);
    const hash = this.fp[0]!;
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const held = slots[slot]!;
      if (held === 0) break;
      if (this.hashes[held - 1] === hash && this.same(held - 1, w)) return held - 1;
      slot = (slot + 1) & mask;
    }
    if (this.count >= limit) return -1;
    const id = this.count;
    if (id === this.hashes.length) this.grow();
    this.arena.set(w.subarray(0, this.words), id * this.words);
    this.hashes[id] = hash;
    this.count = id + 1;
    // (a table that grew has other slots: place the id afresh)
    if (this.slots !== slots) this.place(id);
    else slots[slot] = id + 1;
    return id;
  }

  /** Every state's bytes, state `id` at byte `id * words * 4` (valid until the next intern). */
  bytes(): Uint8Array {
    return this.view;
  }

  private same(id: number, w: Uint32Array): boolean {
    const a = this.arena;
    const at = id * this.words;
    for (let i = 0; i < this.words; i++) if (a[at + i] !== w[i]) return false;
    return true;
  }

  private place(id: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let slot = this.hashes[id]! & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = id + 1;
  }

  /** Twice the room: the arena and hashes copied, the table (at most half full) rebuilt. */
  private grow(): void {
    const room = this.hashes.length * 2;
    const arena = allocate(Uint32Array, room * this.words);
    arena.set(this.arena);
    this.arena = arena;
    this.view = new Uint8Array(arena.buffer);
    const hashes = allocate(Uint32Array, room);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.slots = allocate(Int32Array, room * 2);
    for (let id = 0; id < this.count; id++) this.place(id);
  }
}
