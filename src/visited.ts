// The explorer's visited set: 64-bit fingerprints of canonical state bytes in an
// open-addressing table over a Uint32Array (two words a slot, grown by doubling at load
// 3/4, so 10.7 to 21.3 bytes a state). A JavaScript Set cannot hold more than 2^24 entries and costs
// twice the memory (PERFORMANCE-NOTES.md).

/** Two independent 32-bit hashes of bytes[at, at+len) (FNV-1a and a murmur-style mix). */
export function fingerprint(bytes: Uint8Array, at: number, len: number, out: Uint32Array): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c ^ len;
  for (let i = at; i < at + len; i++) {
    const b = bytes[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  // (0, 0) marks an empty slot.
  out[0] = h1 >>> 0 || 1;
  out[1] = h2 >>> 0;
}

export class FingerprintSet {
  private table: Uint32Array;
  private mask: number;
  size = 0;

  constructor(initialSlots = 1 << 16) {
    this.table = new Uint32Array(initialSlots * 2);
    this.mask = initialSlots - 1;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Add the fingerprint; false when it was already there. */
  add(h1: number, h2: number): boolean {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const t = this.table;
    let slot = (h1 ^ Math.imul(h2, 0x9e3779b1)) & this.mask;
    for (;;) {
      const a = t[slot * 2]!;
      if (a === 0) {
        t[slot * 2] = h1;
        t[slot * 2 + 1] = h2;
        this.size += 1;
        return true;
      }
      if (a === h1 && t[slot * 2 + 1] === h2) return false;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.add(old[i]!, old[i + 1]!);
  }
}
