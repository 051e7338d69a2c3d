// The explorer's visited set: 64-bit fingerprints of canonical state bytes in an
// open-addressing table over a Uint32Array (two words a slot). It grows by 1.3x when
// 85% full, so it holds a state in 9.4 to 12.3 bytes; doubling at 3/4, as before, cost
// up to 21.3. A JavaScript Set cannot hold more than 2^24 entries and costs far more
// (PERFORMANCE-NOTES.md).

/**
 * Two independent 32-bit hashes of words[0, n): a murmur3 round and an xxHash32 round a
 * word. The explorer hashes every successor it generates (ten per new state), and a
 * byte-at-a-time FNV over the same bytes took 16% of its time on small (--cpu-prof):
 * four bytes a step take a quarter of the rounds.
 */
export function fingerprint(words: Uint32Array, n: number, out: Uint32Array, salt = 0): void {
  // A salt gives another pair of hash functions (a swarm member's own); 0 is the explorer's.
  let h1 = 0x811c9dc5 ^ n ^ salt;
  let h2 = (0x165667b1 ^ Math.imul(n, 0x9e3779b1)) + salt;
  for (let i = 0; i < n; i++) {
    const w = words[i]!;
    let k = Math.imul(w, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h1 ^= k;
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0;
    h2 = (h2 + Math.imul(w, 0x85ebca77)) | 0;
    h2 = Math.imul((h2 << 13) | (h2 >>> 19), 0x9e3779b1);
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x85ebca77);
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2, 0xc2b2ae3d);
  h2 ^= h2 >>> 16;
  // (0, 0) marks an empty slot.
  out[0] = h1 >>> 0 || 1;
  out[1] = h2 >>> 0;
}

/**
 * Thrown when a table or queue would outgrow what one typed array can hold (or the
 * allocation fails): the explorer ends the search with the 'memory' budget instead.
 */
export class OutOfRoom extends Error {}

/** A typed array of `length` elements, or OutOfRoom. */
export function allocate<T>(Ctor: new (n: number) => T, length: number): T {
  if (length > MAX_TYPED_LENGTH) throw new OutOfRoom(`${length} elements is more than a typed array holds`);
  try {
    return new Ctor(length);
  } catch (e) {
    if (e instanceof RangeError) throw new OutOfRoom(e.message);
    throw e;
  }
}

/** V8's limit on a typed array's length (buffer.constants.MAX_LENGTH in Node 20: 2^32). */
const MAX_TYPED_LENGTH = 2 ** 32;

/** Fill at which the table grows, and by how much: the slack is the memory per state. */
export const MAX_LOAD = 0.85;
export const GROWTH = 1.3;

export class FingerprintSet {
  private table: Uint32Array;
  private slots: number;
  private limit: number;
  size = 0;

  constructor(initialSlots = 1 << 16) {
    this.slots = Math.max(2, initialSlots);
    this.table = new Uint32Array(this.slots * 2);
    this.limit = Math.floor(this.slots * MAX_LOAD);
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Add the fingerprint; false when it was already there. */
  add(h1: number, h2: number): boolean {
    if (this.size >= this.limit) this.grow();
    const t = this.table;
    const n = this.slots;
    // Fast range reduction: the mixed hash as a fraction of 2^32, scaled to the table.
    // Exact enough: the product stays below n, so the slot is always in range.
    let slot = Math.floor(((h1 ^ Math.imul(h2, 0x9e3779b1)) >>> 0) * (n / 4294967296));
    for (;;) {
      const a = t[slot * 2]!;
      if (a === 0) {
        t[slot * 2] = h1;
        t[slot * 2 + 1] = h2;
        this.size += 1;
        return true;
      }
      if (a === h1 && t[slot * 2 + 1] === h2) return false;
      slot += 1;
      if (slot === n) slot = 0;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = Math.ceil(this.slots * GROWTH);
    this.table = allocate(Uint32Array, slots * 2);
    this.slots = slots;
    this.limit = Math.floor(this.slots * MAX_LOAD);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.add(old[i]!, old[i + 1]!);
  }
}
