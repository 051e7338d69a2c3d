// The CPU side: TLB lookups, page walks and the dirty-bit assist, decided before any kernel
// code runs. x86 is the reference architecture; Arch.dirtyBitTrap switches the one rule the
// deferred flush of clean entries relies on. The lowest floor of the model above the state:
// it imports no kernel code (a fault is model/fault.ts's, a flush model/tlbflush.ts's).

import type { State, TlbEntry } from './state.js';
import type { Arch } from './variant.js';

export const pagesPerMm = (s: State): number => s.mms[0]!.pte.length;
export const tlbSlot = (s: State, mm: number, vpage: number): number => mm * pagesPerMm(s) + vpage;
export const bit = (cpu: number): number => 1 << cpu;

/** The lowest set bit's index in a mask (a CPU, an mm), or -1 for an empty mask. */
export const lowestBit = (mask: number): number => (mask === 0 ? -1 : 31 - Math.clz32(mask & -mask));

export function tlbLookup(s: State, cpu: number, mm: number, vpage: number): TlbEntry | null {
  return s.cpus[cpu]!.tlb[tlbSlot(s, mm, vpage)] ?? null;
}

/** What the CPU does with one user load or store, decided from the state before it. */
export type Translation =
  /** TLB hit with the needed permission (a store: the entry is already dirty). No walk. */
  | { readonly kind: 'hit'; readonly frame: number }
  /** Store through a clean writable entry: the CPU re-walks, finds the PTE writable, sets D. */
  | { readonly kind: 'setDirty'; readonly frame: number }
  /** Store through a clean entry whose PTE is gone or read-only, on an arch that does not trap. */
  | { readonly kind: 'noTrapWrite'; readonly frame: number }
  /** TLB miss: the walk finds a present PTE that allows the access and fills the TLB. */
  | { readonly kind: 'walk'; readonly frame: number }
  /** Page fault: the CPU drops the entry it faulted on (if any) and enters the kernel. */
  | { readonly kind: 'fault'; readonly dropTlb: boolean };

export function translate(arch: Arch, s: State, cpu: number, vpage: number, write: boolean): Translation {
  const mm = s.cpus[cpu]!.mm;
  const pte = s.mms[mm]!.pte[vpage]!;
  const entry = tlbLookup(s, cpu, mm, vpage);
  if (entry !== null) {
    if (!write) return { kind: 'hit', frame: entry.frame };
    if (entry.writable && entry.dirty) return { kind: 'hit', frame: entry.frame };
    if (entry.writable) {
      // Setting D is a locked walk: it sees the PTE as it is now, not as cached. If the PTE
      // is writable again but names another frame, the SDM does not say which frame the
      // store reaches; the model takes the pessimistic reading, the cached one.
      if (pte.kind === 'present' && pte.writable && pte.protnone !== true)
        return { kind: 'setDirty', frame: entry.frame };
      if (!arch.dirtyBitTrap) return { kind: 'noTrapWrite', frame: entry.frame };
    }
    return { kind: 'fault', dropTlb: true };
  }
  // (a PROT_NONE PTE is not present to the CPU: _PAGE_PRESENT is clear)
  if (pte.kind === 'present' && pte.protnone !== true && (pte.writable || !write))
    return { kind: 'walk', frame: pte.frame };
  return { kind: 'fault', dropTlb: false };
}
