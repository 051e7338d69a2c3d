// Compiles a state schema (model/schema.ts) for one config into straight-line JavaScript:
// encode, decode, and the helpers symmetry reduction needs. Every field gets a fixed bit
// position: numbers take the bits their largest value needs, a field never straddles a
// byte, array elements start on a byte (small leaves pack 1, 2 or 4 bits apiece), lists
// are padded to their longest, and union variants overlap after their tag. So equal states
// have equal bytes, and the layout is a function of the config alone.
//
// Generated code rather than a walk of the schema: the explorer encodes every successor
// it makes, and a walk that dispatches on field kinds per value cost several times the
// hand-written encoder it replaces. The copy and the relabellings do not depend on the
// config, and are compiled (copy) or walked (relabellings, not on the hot path) once.

import type { Config } from '../../model/config.js';
import type { Field } from '../../model/schema.js';

/** Where a leaf's bits are, relative to the start of its array element (or of the whole). */
interface Bits {
  readonly byte: number;
  readonly shift: number;
  readonly bits: number;
}

type LeafField = Extract<Field, { kind: 'uint' | 'bool' | 'flag' | 'frame' | 'cpu' | 'cpumask' | 'enum' }>;

/** A field placed for one config. */
type Placed =
  | { readonly t: 'leaf'; readonly f: LeafField; readonly at: Bits }
  | { readonly t: 'record'; readonly fields: readonly (readonly [string, Placed])[] }
  | {
      readonly t: 'union';
      readonly tag: Bits;
      readonly variants: readonly (readonly [string, readonly (readonly [string, Placed])[]])[];
    }
  | {
      readonly t: 'array';
      readonly n: number;
      /** byte where element 0 starts */
      readonly start: number;
      /** elements of a leaf of at most 4 bits: bits per element; else bytes per element */
      readonly packedBits: number;
      readonly stride: number;
      readonly elem: Placed;
      readonly index: 'frame' | 'cpu' | undefined;
      /** a list: where its length is */
      readonly count: Bits | null;
    }
  /** an array whose elements differ by index (model/schema.ts `when`): each placed apart */
  | { readonly t: 'unrolled'; readonly elems: readonly Placed[]; readonly index: 'frame' | 'cpu' | undefined }
  | {
      readonly t: 'optional';
      readonly presence: Bits | null;
      readonly absentIs: number | undefined;
      readonly inner: Placed;
    }
  | { readonly t: 'nullable'; readonly presence: Bits; readonly inner: Placed }
  | { readonly t: 'absent' }
  | { readonly t: 'config'; readonly value: unknown }
  | { readonly t: 'counter' };

const bitsFor = (max: number): number => (max <= 0 ? 0 : 32 - Math.clz32(max));

function leafBits(f: LeafField, c: Config): number {
  switch (f.kind) {
    case 'uint':
      return Math.max(bitsFor(f.max(c)), f.frameIf === undefined ? 0 : bitsFor(c.frames - 1));
    case 'bool':
    case 'flag':
      return 1;
    case 'frame':
      return bitsFor(c.frames - 1 + (f.none ? 1 : 0));
    case 'cpu':
      return bitsFor(c.cpus - 1);
    case 'cpumask':
      return c.cpus;
    case 'enum':
      return bitsFor(f.values.length - 1);
  }
}

const isLeaf = (f: Field): f is LeafField =>
  f.kind === 'uint' ||
  f.kind === 'bool' ||
  f.kind === 'flag' ||
  f.kind === 'frame' ||
  f.kind === 'cpu' ||
  f.kind === 'cpumask' ||
  f.kind === 'enum';

/** Whether the field's shape depends on the index of the array it is an element of. */
function readsIndex(f: Field): boolean {
  switch (f.kind) {
    case 'when':
      return f.present.length >= 2 || readsIndex(f.of);
    case 'record':
      return Object.values(f.fields).some(readsIndex);
    case 'union':
      return Object.values(f.variants).some((v) => Object.values(v).some(readsIndex));
    case 'optional':
    case 'nullable':
      return readsIndex(f.of);
    default:
      return false;
  }
}

/** Bit cursor within the current array element (or the whole state). */
class Cursor {
  constructor(public bit = 0) {}
  leaf(bits: number): Bits {
    if (bits === 0) return { byte: 0, shift: 0, bits: 0 };
    if (bits > 8) throw new Error(`internal: a field of ${bits} bits (at most 8)`);
    if ((this.bit & 7) + bits > 8) this.align();
    const at = { byte: this.bit >> 3, shift: this.bit & 7, bits };
    this.bit += bits;
    return at;
  }
  align(): void {
    this.bit = (this.bit + 7) & ~7;
  }
}

function place(f: Field, c: Config, cur: Cursor, index: number): Placed {
  if (isLeaf(f)) return { t: 'leaf', f, at: cur.leaf(leafBits(f, c)) };
  switch (f.kind) {
    case 'record':
      return {
        t: 'record',
        fields: Object.entries(f.fields).map(([k, v]) => [k, place(v, c, cur, index)] as const),
      };
    case 'union': {
      const names = Object.keys(f.variants);
      const tag = cur.leaf(bitsFor(names.length - 1));
      let end = cur.bit;
      const variants = names.map((name) => {
        const at = new Cursor(cur.bit);
        const fields = Object.entries(f.variants[name]!).map(
          ([k, v]) => [k, place(v, c, at, index)] as const,
        );
        end = Math.max(end, at.bit);
        return [name, fields] as const;
      });
      cur.bit = end;
      return { t: 'union', tag, variants };
    }
    case 'array':
    case 'list': {
      const n = f.kind === 'array' ? f.length(c) : f.max(c);
      const count = f.kind === 'list' ? cur.leaf(bitsFor(n)) : null;
      const index = f.kind === 'array' ? f.index : undefined;
      cur.align();
      if (readsIndex(f.of)) {
        if (f.kind === 'list') throw new Error('internal: a list element that reads its index');
        const elems: Placed[] = [];
        for (let k = 0; k < n; k++) {
          cur.align();
          elems.push(place(f.of, c, cur, k));
        }
        cur.align();
        return { t: 'unrolled', elems, index };
      }
      const start = cur.bit >> 3;
      const inner = new Cursor();
      const elem = place(f.of, c, inner, 0);
      if (elem.t === 'leaf' && elem.at.bits <= 4) {
        const packedBits = elem.at.bits <= 1 ? 1 : elem.at.bits <= 2 ? 2 : 4;
        cur.bit += n * packedBits;
        cur.align();
        return { t: 'array', n, start, packedBits, stride: 0, elem, index, count };
      }
      const stride = (inner.bit + 7) >> 3;
      cur.bit += n * stride * 8;
      return { t: 'array', n, start, packedBits: 0, stride, elem, index, count };
    }
    case 'optional': {
      const presence = f.absentIs === undefined ? cur.leaf(1) : null;
      return { t: 'optional', presence, absentIs: f.absentIs, inner: place(f.of, c, cur, index) };
    }
    case 'nullable':
      return { t: 'nullable', presence: cur.leaf(1), inner: place(f.of, c, cur, index) };
    case 'when':
      return f.present(c, index) ? place(f.of, c, cur, index) : { t: 'absent' };
    case 'config':
      return { t: 'config', value: f.value(c) };
    case 'counter':
      return { t: 'counter' };
  }
}

/** JavaScript source being built, with values the code refers to kept in `env`. */
class Emitter {
  readonly lines: string[] = [];
  readonly env: unknown[] = [];
  private n = 0;
  v(prefix = 'v'): string {
    return `${prefix}${this.n++}`;
  }
  ref(x: unknown): string {
    let k = this.env.indexOf(x);
    if (k < 0) k = this.env.push(x) - 1;
    return `env[${k}]`;
  }
  emit(line: string): void {
    this.lines.push(line);
  }
  /** The function, named `name` in stack traces and profiles. */
  build<F>(name: string, params: string): F {
    // new Function: the source is compiled from the schema, never from input
    const body = `return function ${name}(${params}) {\n${this.lines.join('\n')}\n};\n//# sourceURL=shootdown-codec/${name}.js`;
    return new Function('env', body)(this.env) as F;
  }
}

/** Position of a byte: an element's base variable plus a constant. */
const pos = (base: string, byte: number | string): string => (byte === 0 ? base : `${base} + ${byte}`);

// ---- encode ----

function encodeValue(e: Emitter, f: LeafField, v: string, parent: string): string {
  switch (f.kind) {
    case 'uint':
      return f.frameIf === undefined
        ? v
        : `(${e.ref(f.frameIf)}(${parent}) && map !== null ? map[${v}] : ${v})`;
    case 'bool':
    case 'flag':
      return `(${v} ? 1 : 0)`;
    case 'frame':
      return f.none
        ? `(${v} < 0 ? 0 : (map === null ? ${v} : map[${v}]) + 1)`
        : `(map === null ? ${v} : map[${v}])`;
    case 'cpu':
      return `(cpus === null ? ${v} : cpus[${v}])`;
    case 'cpumask':
      return `(cpus === null ? ${v} : cm(cpus, ${v}))`;
    case 'enum':
      return `${e.ref(new Map(f.values.map((x, k) => [x, k])))}.get(${v})`;
  }
}

function write(e: Emitter, at: Bits, base: string, x: string, shift: string | number = at.shift): void {
  if (at.bits === 0) return;
  if (at.bits === 8 && shift === 0) e.emit(`out[${pos(base, at.byte)}] = ${x};`);
  else e.emit(`out[${pos(base, at.byte)}] |= ${x} << ${shift};`);
}

function encodeFields(
  e: Emitter,
  fields: readonly (readonly [string, Placed])[],
  r: string,
  base: string,
): void {
  for (const [name, p] of fields) encodeField(e, p, `${r}.${name}`, base, r);
}

function encodeField(e: Emitter, p: Placed, v: string, base: string, parent: string): void {
  switch (p.t) {
    case 'leaf': {
      if (p.at.bits === 0) return;
      const x = e.v();
      e.emit(`const ${x} = ${encodeValue(e, p.f, v, parent)};`);
      write(e, p.at, base, x);
      return;
    }
    case 'record': {
      const r = e.v('r');
      e.emit(`const ${r} = ${v};`);
      encodeFields(e, p.fields, r, base);
      return;
    }
    case 'union': {
      const u = e.v('u');
      e.emit(`const ${u} = ${v};`);
      p.variants.forEach(([name, fields], k) => {
        e.emit(`${k === 0 ? '' : 'else '}if (${u}.kind === ${JSON.stringify(name)}) {`);
        if (k !== 0) write(e, p.tag, base, String(k));
        encodeFields(e, fields, u, base);
        e.emit('}');
      });
      return;
    }
    case 'array':
    case 'unrolled': {
      const a = e.v('a');
      e.emit(`const ${a} = ${v};`);
      const inv = p.index === 'frame' ? 'finv' : p.index === 'cpu' ? 'cinv' : null;
      if (p.t === 'unrolled') {
        for (let k = 0; k < p.elems.length; k++)
          encodeField(
            e,
            p.elems[k]!,
            inv === null ? `${a}[${k}]` : `${a}[${inv} === null ? ${k} : ${inv}[${k}]]`,
            base,
            a,
          );
        return;
      }
      if (p.count !== null) write(e, p.count, base, `${a}.length`);
      const k = e.v('k');
      const n = p.count === null ? String(p.n) : `${a}.length`;
      e.emit(`for (let ${k} = 0; ${k} < ${n}; ${k}++) {`);
      const elem = inv === null ? `${a}[${k}]` : `${a}[${inv} === null ? ${k} : ${inv}[${k}]]`;
      if (p.packedBits > 0) {
        const leaf = p.elem as Extract<Placed, { t: 'leaf' }>;
        const x = e.v();
        e.emit(`const ${x} = ${encodeValue(e, leaf.f, elem, a)};`);
        const bit = `${k} * ${p.packedBits}`;
        write(
          e,
          { byte: 0, shift: 0, bits: leaf.at.bits },
          pos(base, `${p.start} + ((${bit}) >> 3)`),
          x,
          `((${bit}) & 7)`,
        );
      } else {
        const b = e.v('p');
        e.emit(`const ${b} = ${base} + ${p.start} + ${k} * ${p.stride};`);
        encodeField(e, p.elem, elem, b, a);
      }
      e.emit('}');
      return;
    }
    case 'optional': {
      const x = e.v();
      e.emit(`const ${x} = ${v};`);
      if (p.presence === null) {
        encodeField(e, p.inner, `(${x} === undefined ? ${p.absentIs} : ${x})`, base, parent);
        return;
      }
      e.emit(`if (${x} !== undefined) {`);
      write(e, p.presence, base, '1');
      encodeField(e, p.inner, x, base, parent);
      e.emit('}');
      return;
    }
    case 'nullable': {
      const x = e.v();
      e.emit(`const ${x} = ${v};`);
      e.emit(`if (${x} !== null) {`);
      write(e, p.presence, base, '1');
      encodeField(e, p.inner, x, base, parent);
      e.emit('}');
      return;
    }
    case 'absent':
    case 'config':
    case 'counter':
      return;
  }
}

// ---- decode ----

function read(at: Bits, base: string, shift: string | number = at.shift): string {
  if (at.bits === 0) return '0';
  const b = `b[${pos(base, at.byte)}]`;
  if (at.bits === 8 && shift === 0) return b;
  return `((${b} >> ${shift}) & ${(1 << at.bits) - 1})`;
}

function decodeValue(e: Emitter, f: LeafField, raw: string): string {
  switch (f.kind) {
    case 'bool':
      return `(${raw} !== 0)`;
    case 'frame':
      return f.none ? `(${raw} - 1)` : raw;
    case 'enum':
      return `${e.ref(f.values)}[${raw}]`;
    default:
      return raw;
  }
}

/** Decode a record's fields into a fresh object, keys in the schema's order; returns its variable. */
function decodeFields(
  e: Emitter,
  fields: readonly (readonly [string, Placed])[],
  base: string,
  head: string,
): string {
  // each key: a value, or a value with the condition under which the key is there
  const keys: { key: string; value: string; when: string | null }[] = [];
  for (const [name, p] of fields) {
    const key = JSON.stringify(name);
    if (p.t === 'absent') continue;
    if (p.t === 'config') {
      if (p.value !== undefined) keys.push({ key, value: e.ref(p.value), when: null });
    } else if (p.t === 'counter') keys.push({ key, value: '0', when: null });
    else if (p.t === 'leaf' && p.f.kind === 'flag') {
      const x = e.v();
      e.emit(`const ${x} = ${read(p.at, base)};`);
      keys.push({ key, value: 'true', when: `${x} !== 0` });
    } else if (p.t === 'optional' && p.presence === null) {
      const x = e.v();
      e.emit(`const ${x} = ${decodeField(e, p.inner, base)};`);
      keys.push({ key, value: x, when: `${x} !== ${p.absentIs}` });
    } else if (p.t === 'optional' && p.presence !== null) {
      const x = e.v();
      e.emit(`let ${x};`);
      e.emit(`if (${read(p.presence, base)} !== 0) {`);
      e.emit(`${x} = ${decodeField(e, p.inner, base)};`);
      e.emit('}');
      keys.push({ key, value: x, when: `${x} !== undefined` });
    } else keys.push({ key, value: decodeField(e, p, base), when: null });
  }
  const o = e.v('o');
  if (keys.every((k) => k.when === null)) {
    const literal = keys.map((k) => `${k.key}: ${k.value}`);
    e.emit(`const ${o} = { ${(head === '' ? literal : [head, ...literal]).join(', ')} };`);
    return o;
  }
  e.emit(`const ${o} = { ${head} };`);
  for (const k of keys) e.emit(`${k.when === null ? '' : `if (${k.when}) `}${o}[${k.key}] = ${k.value};`);
  return o;
}

function decodeField(e: Emitter, p: Placed, base: string): string {
  switch (p.t) {
    case 'leaf':
      return decodeValue(e, p.f, read(p.at, base));
    case 'record':
      return decodeFields(e, p.fields, base, '');
    case 'union': {
      const tag = e.v();
      const u = e.v('u');
      e.emit(`const ${tag} = ${read(p.tag, base)};`);
      e.emit(`let ${u};`);
      p.variants.forEach(([name, fields], k) => {
        e.emit(`${k === 0 ? '' : 'else '}if (${tag} === ${k}) {`);
        e.emit(`${u} = ${decodeFields(e, fields, base, `kind: ${JSON.stringify(name)}`)};`);
        e.emit('}');
      });
      return u;
    }
    case 'unrolled': {
      const items = p.elems.map((elem) => decodeField(e, elem, base));
      return `[${items.join(', ')}]`;
    }
    case 'array': {
      const a = e.v('a');
      e.emit(`const ${a} = [];`);
      const n = p.count === null ? String(p.n) : read(p.count, base);
      const k = e.v('k');
      const n2 = e.v('n');
      e.emit(`for (let ${k} = 0, ${n2} = ${n}; ${k} < ${n2}; ${k}++) {`);
      if (p.packedBits > 0) {
        const leaf = p.elem as Extract<Placed, { t: 'leaf' }>;
        const bit = `${k} * ${p.packedBits}`;
        const raw = read(
          { byte: 0, shift: 0, bits: leaf.at.bits },
          pos(base, `${p.start} + ((${bit}) >> 3)`),
          `((${bit}) & 7)`,
        );
        e.emit(`${a}.push(${decodeValue(e, leaf.f, raw)});`);
      } else {
        const b = e.v('p');
        e.emit(`const ${b} = ${base} + ${p.start} + ${k} * ${p.stride};`);
        e.emit(`${a}.push(${decodeField(e, p.elem, b)});`);
      }
      e.emit('}');
      return a;
    }
    case 'nullable': {
      const x = e.v();
      e.emit(`let ${x} = null;`);
      e.emit(`if (${read(p.presence, base)} !== 0) {`);
      e.emit(`${x} = ${decodeField(e, p.inner, base)};`);
      e.emit('}');
      return x;
    }
    case 'optional':
    case 'absent':
    case 'config':
    case 'counter':
      throw new Error(`internal: a ${p.t} field outside a record`);
  }
}

// ---- the bits of each cpumask, for symmetry over CPUs ----

/** How many cpumasks the field holds at most. */
function maskCount(p: Placed): number {
  switch (p.t) {
    case 'leaf':
      return p.f.kind === 'cpumask' ? 1 : 0;
    case 'record':
      return p.fields.reduce((n, [, f]) => n + maskCount(f), 0);
    case 'union':
      return Math.max(0, ...p.variants.map(([, fs]) => fs.reduce((n, [, f]) => n + maskCount(f), 0)));
    case 'array':
      return p.n * maskCount(p.elem);
    case 'unrolled':
      return p.elems.reduce((n, f) => n + maskCount(f), 0);
    case 'optional':
    case 'nullable':
      return maskCount(p.inner);
    default:
      return 0;
  }
}

/** Write `cpu`'s bit of every cpumask in the field, one byte each, from byte `slot` on. */
function maskBits(e: Emitter, p: Placed, v: string, slot: string): void {
  if (maskCount(p) === 0) return;
  switch (p.t) {
    case 'leaf':
      e.emit(`out[${slot}] = (${v} >> cpu) & 1;`);
      return;
    case 'record': {
      const r = e.v('r');
      e.emit(`const ${r} = ${v};`);
      let at = 0;
      for (const [name, f] of p.fields) {
        maskBits(e, f, `${r}.${name}`, pos(slot, at));
        at += maskCount(f);
      }
      return;
    }
    case 'union': {
      const u = e.v('u');
      e.emit(`const ${u} = ${v};`);
      for (const [name, fields] of p.variants) {
        e.emit(`if (${u}.kind === ${JSON.stringify(name)}) {`);
        let at = 0;
        for (const [k, f] of fields) {
          maskBits(e, f, `${u}.${k}`, pos(slot, at));
          at += maskCount(f);
        }
        e.emit('}');
      }
      return;
    }
    case 'unrolled': {
      let at = 0;
      p.elems.forEach((f, k) => {
        maskBits(e, f, `${v}[${k}]`, pos(slot, at));
        at += maskCount(f);
      });
      return;
    }
    case 'array': {
      const a = e.v('a');
      const k = e.v('k');
      e.emit(`const ${a} = ${v};`);
      e.emit(`for (let ${k} = 0; ${k} < ${a}.length; ${k}++) {`);
      const s = e.v('s');
      e.emit(`const ${s} = ${slot} + ${k} * ${maskCount(p.elem)};`);
      maskBits(e, p.elem, `${a}[${k}]`, s);
      e.emit('}');
      return;
    }
    case 'optional':
    case 'nullable': {
      const x = e.v();
      e.emit(`const ${x} = ${v};`);
      e.emit(`if (${x} !== undefined && ${x} !== null) {`);
      maskBits(e, p.inner, x, slot);
      e.emit('}');
      return;
    }
    default:
      return;
  }
}

// ---- the frames a state names, in a fixed walk, for symmetry over frames ----
// These two do not depend on the config: they read the value's own lengths and presence.

function walkFrames(e: Emitter, f: Field, v: string, parent: string): void {
  switch (f.kind) {
    case 'frame':
      e.emit(`next = meet(map, ${v}, next);`);
      return;
    case 'uint':
      if (f.frameIf !== undefined)
        e.emit(`if (${e.ref(f.frameIf)}(${parent})) next = meet(map, ${v}, next);`);
      return;
    case 'record': {
      const r = e.v('r');
      e.emit(`const ${r} = ${v};`);
      for (const [name, x] of Object.entries(f.fields)) walkFrames(e, x, `${r}.${name}`, r);
      return;
    }
    case 'union': {
      const u = e.v('u');
      e.emit(`const ${u} = ${v};`);
      for (const [name, fields] of Object.entries(f.variants)) {
        e.emit(`if (${u}.kind === ${JSON.stringify(name)}) {`);
        for (const [k, x] of Object.entries(fields)) walkFrames(e, x, `${u}.${k}`, u);
        e.emit('}');
      }
      return;
    }
    case 'array':
    case 'list': {
      // the frames themselves: what numbers them, not what they name
      if (f.kind === 'array' && f.index === 'frame') return;
      if (!namesFrames(f.of)) return;
      const a = e.v('a');
      const k = e.v('k');
      e.emit(`const ${a} = ${v};`);
      e.emit(`for (let ${k} = 0; ${k} < ${a}.length; ${k}++) {`);
      walkFrames(e, f.of, `${a}[${k}]`, a);
      e.emit('}');
      return;
    }
    case 'optional':
    case 'nullable':
    case 'when': {
      if (!namesFrames(f.of)) return;
      const x = e.v();
      e.emit(`const ${x} = ${v};`);
      e.emit(`if (${x} !== undefined && ${x} !== null) {`);
      walkFrames(e, f.of, x, parent);
      e.emit('}');
      return;
    }
    default:
      return;
  }
}

function namesFrames(f: Field): boolean {
  switch (f.kind) {
    case 'frame':
      return true;
    case 'uint':
      return f.frameIf !== undefined;
    case 'record':
      return Object.values(f.fields).some(namesFrames);
    case 'union':
      return Object.values(f.variants).some((v) => Object.values(v).some(namesFrames));
    case 'array':
    case 'list':
    case 'optional':
    case 'nullable':
    case 'when':
      return namesFrames(f.of);
    default:
      return false;
  }
}

/** How many numbers contentKey() writes for a value of the field. */
function keyWidth(f: Field): number {
  switch (f.kind) {
    case 'record':
      return Object.values(f.fields).reduce((n, x) => n + keyWidth(x), 0);
    case 'union':
      return (
        1 +
        Math.max(
          0,
          ...Object.values(f.variants).map((v) => Object.values(v).reduce((n, x) => n + keyWidth(x), 0)),
        )
      );
    case 'optional':
    case 'nullable':
    case 'when':
      return 1 + keyWidth(f.of);
    case 'array':
    case 'list':
      throw new Error('internal: a content key over an array');
    case 'config':
    case 'counter':
      return 0;
    default:
      return 1;
  }
}

/** Write the field's value as numbers from key[at], frame numbers as 0; returns the index after. */
function contentKey(e: Emitter, f: Field, v: string, parent: string, at: string): void {
  switch (f.kind) {
    case 'frame':
      e.emit(`key[${at}] = 0;`);
      return;
    case 'uint':
      e.emit(
        f.frameIf === undefined
          ? `key[${at}] = ${v};`
          : `key[${at}] = ${e.ref(f.frameIf)}(${parent}) ? 0 : ${v};`,
      );
      return;
    case 'bool':
    case 'flag':
      e.emit(`key[${at}] = ${v} ? 1 : 0;`);
      return;
    case 'cpu':
    case 'cpumask':
      e.emit(`key[${at}] = ${v};`);
      return;
    case 'enum':
      e.emit(`key[${at}] = ${e.ref(f.values)}.indexOf(${v});`);
      return;
    case 'record': {
      const r = e.v('r');
      e.emit(`const ${r} = ${v};`);
      let k = 0;
      for (const [name, x] of Object.entries(f.fields)) {
        contentKey(e, x, `${r}.${name}`, r, `${at} + ${k}`);
        k += keyWidth(x);
      }
      return;
    }
    case 'union': {
      const u = e.v('u');
      e.emit(`const ${u} = ${v};`);
      const width = keyWidth(f);
      e.emit(`for (let k = 1; k < ${width}; k++) key[${at} + k] = 0;`);
      Object.entries(f.variants).forEach(([name, fields], tag) => {
        e.emit(`if (${u}.kind === ${JSON.stringify(name)}) {`);
        e.emit(`key[${at}] = ${tag};`);
        let k = 1;
        for (const [n, x] of Object.entries(fields)) {
          contentKey(e, x, `${u}.${n}`, u, `${at} + ${k}`);
          k += keyWidth(x);
        }
        e.emit('}');
      });
      return;
    }
    case 'optional':
    case 'nullable':
    case 'when': {
      const x = e.v();
      e.emit(`const ${x} = ${v};`);
      const width = keyWidth(f.of);
      e.emit(`if (${x} === undefined || ${x} === null) {`);
      e.emit(`for (let k = 0; k <= ${width}; k++) key[${at} + k] = 0;`);
      e.emit('} else {');
      e.emit(`key[${at}] = 1;`);
      contentKey(e, f.of, x, parent, `${at} + 1`);
      e.emit('}');
      return;
    }
    default:
      return;
  }
}
// ---- what the compiler gives ----

export type EncodeFn<T> = (
  s: T,
  out: Uint8Array,
  at: number,
  map: readonly number[] | null,
  cpus: readonly number[] | null,
) => void;
export type DecodeFn<T> = (b: Uint8Array, at: number) => T;

export interface Codec<T> {
  /** Bytes the encoding takes. */
  readonly size: number;
  /**
   * Write the bytes of s at `at`; with `map` (old frame -> new) or `cpus` (old CPU -> new),
   * the bytes of s with its frames or CPUs so renumbered.
   */
  readonly encode: EncodeFn<T>;
  /** The value the bytes encode, as fresh plain objects; counters start at zero. */
  readonly decode: DecodeFn<T>;
}

function inverse(map: readonly number[]): number[] {
  const out: number[] = new Array(map.length);
  for (let k = 0; k < map.length; k++) out[map[k]!] = k;
  return out;
}

/** A cpumask with its CPUs renumbered through `cpus`. */
export function cm(cpus: readonly number[] | null, mask: number): number {
  if (cpus === null) return mask;
  let out = 0;
  for (let c = 0; c < cpus.length; c++) if ((mask >> c) & 1) out |= 1 << cpus[c]!;
  return out;
}

export function compileCodec<T>(schema: Field, config: Config): Codec<T> {
  const cur = new Cursor();
  const placed = place(schema, config, cur, 0);
  cur.align();
  const size = cur.bit >> 3;
  const enc = new Emitter();
  enc.emit(`out.fill(0, at, at + ${size});`);
  enc.emit(`const finv = map === null ? null : ${enc.ref(inverse)}(map);`);
  enc.emit(`const cinv = cpus === null ? null : ${enc.ref(inverse)}(cpus);`);
  enc.emit(`const cm = ${enc.ref(cm)};`);
  encodeField(enc, placed, 's', 'at', 's');
  const dec = new Emitter();
  // decodeField emits the statements its expression needs before the return
  dec.emit(`return ${decodeField(dec, placed, 'at')};`);
  return {
    size,
    encode: enc.build<EncodeFn<T>>('encode', 's, out, at, map, cpus'),
    decode: dec.build<DecodeFn<T>>('decode', 'b, at'),
  };
}

/** Number of cpumasks the schema holds at most in this config, so cpumaskBits() writes that many bytes. */
export function cpumaskCount(schema: Field, config: Config): number {
  return maskCount(place(schema, config, new Cursor(), 0));
}

/** A function writing `cpu`'s bit of every cpumask in the value, one byte each (zero where a list is short). */
export function compileCpumaskBits<T>(
  schema: Field,
  config: Config,
): (s: T, cpu: number, out: Uint8Array, at: number) => void {
  const placed = place(schema, config, new Cursor(), 0);
  const e = new Emitter();
  e.emit(`out.fill(0, at, at + ${maskCount(placed)});`);
  maskBits(e, placed, 's', 'at');
  return e.build('cpumaskBits', 's, cpu, out, at');
}

/**
 * A function giving each frame the value names a number in order of first meeting, in the
 * walk `order` gives over the top record's fields (frame-indexed arrays aside).
 */
export function compileFrameWalk<T>(
  schema: Field,
  order: readonly string[],
): (s: T, map: number[], next: number) => number {
  if (schema.kind !== 'record') throw new Error('internal: the frame walk starts at a record');
  const e = new Emitter();
  e.emit(`const meet = ${e.ref(meet)};`);
  for (const name of order) {
    const f = schema.fields[name];
    if (f === undefined) throw new Error(`internal: no field ${name} to walk`);
    walkFrames(e, f, `s.${name}`, 's');
  }
  e.emit('return next;');
  return e.build('walkFrames', 's, map, next');
}

/**
 * What a value holds, frame numbers aside, as `width` numbers: values equal in every other
 * field get equal keys, so the order of frames nothing names can follow their contents.
 */
export function compileContentKey<T>(schema: Field): {
  readonly width: number;
  readonly key: (v: T, key: number[], at: number) => void;
} {
  const e = new Emitter();
  contentKey(e, schema, 'v', 'v', 'at');
  return { width: keyWidth(schema), key: e.build('contentKey', 'v, key, at') };
}

function meet(map: number[], f: number, next: number): number {
  if (f >= 0 && map[f] === -1) {
    map[f] = next;
    return next + 1;
  }
  return next;
}

// ---- config-independent: copy and the relabellings ----

function copyValue(e: Emitter, f: Field, v: string): string {
  if (isLeaf(f)) return v;
  switch (f.kind) {
    case 'record': {
      if (f.replaced) return v;
      const r = e.v('r');
      e.emit(`const ${r} = ${v};`);
      return copyFields(e, f.fields, r, '');
    }
    case 'union': {
      if (f.replaced) return v;
      const u = e.v('u');
      const o = e.v('o');
      e.emit(`const ${u} = ${v};`);
      e.emit(`let ${o};`);
      Object.entries(f.variants).forEach(([name, fields], k) => {
        e.emit(`${k === 0 ? '' : 'else '}if (${u}.kind === ${JSON.stringify(name)}) {`);
        e.emit(`${o} = ${copyFields(e, fields, u, `kind: ${JSON.stringify(name)}`)};`);
        e.emit('}');
      });
      return o;
    }
    case 'array':
    case 'list': {
      if (isLeaf(f.of)) return `${v}.slice()`;
      const a = e.v('a');
      const o = e.v('o');
      const k = e.v('k');
      e.emit(`const ${a} = ${v};`);
      e.emit(`const ${o} = new Array(${a}.length);`);
      e.emit(`for (let ${k} = 0; ${k} < ${a}.length; ${k}++) {`);
      e.emit(`${o}[${k}] = ${copyValue(e, f.of, `${a}[${k}]`)};`);
      e.emit('}');
      return o;
    }
    case 'nullable': {
      const x = e.v();
      const o = e.v('o');
      e.emit(`const ${x} = ${v};`);
      e.emit(`let ${o} = null;`);
      e.emit(`if (${x} !== null) {`);
      e.emit(`${o} = ${copyValue(e, f.of, x)};`);
      e.emit('}');
      return o;
    }
    case 'optional':
    case 'when':
    case 'config':
    case 'counter':
      return copyValue(e, f.kind === 'optional' || f.kind === 'when' ? f.of : { kind: 'bool' }, v);
  }
}

/** Fields that may be missing from a value: copied only when there. */
const mayBeAbsent = (f: Field): boolean =>
  f.kind === 'optional' || f.kind === 'when' || f.kind === 'config' || f.kind === 'flag';

function copyFields(
  e: Emitter,
  fields: Readonly<Record<string, Field>>,
  r: string,
  head: string,
  valueFor: (name: string, f: Field, v: string) => string = (_, f, v) => copyValue(e, f, v),
): string {
  const o = e.v('o');
  const entries = Object.entries(fields);
  // Keys in the schema's order, which is the state's: a literal when none may be absent,
  // else one assignment each, the absent ones skipped.
  if (!entries.some(([, f]) => mayBeAbsent(f))) {
    const literal = entries.map(
      ([name, f]) => `${JSON.stringify(name)}: ${valueFor(name, f, `${r}.${name}`)}`,
    );
    e.emit(`const ${o} = { ${(head === '' ? literal : [head, ...literal]).join(', ')} };`);
    return o;
  }
  e.emit(`const ${o} = { ${head} };`);
  for (const [name, f] of entries) {
    const key = JSON.stringify(name);
    if (!mayBeAbsent(f)) {
      e.emit(`${o}[${key}] = ${valueFor(name, f, `${r}[${key}]`)};`);
      continue;
    }
    e.emit(`if (${r}[${key}] !== undefined) {`);
    e.emit(`${o}[${key}] = ${valueFor(name, f, `${r}[${key}]`)};`);
    e.emit('}');
  }
  return o;
}

/** A fresh copy of any value of the schema: what a recipe may edit in place is copied, the rest shared. */
export function compileCopy<T>(schema: Field): (s: T) => T {
  const e = new Emitter();
  e.emit(`return ${copyValue(e, schema, 's')};`);
  return e.build('copy', 's');
}

/**
 * Some top-level fields of a state, for a step known to write no others: a copy of the
 * state with only the parts a mask names copied and the rest shared with the original, and
 * an encoder that rewrites only those parts' bytes in a copy of the whole state's bytes.
 * The copy has the whole copy's shape (its keys in the same order).
 */
export interface Sections<T> {
  readonly copy: (s: T, mask: number) => T;
  readonly encode: (s: T, out: Uint8Array, at: number, mask: number) => void;
}

/**
 * A part of the state a mask can name: a top-level field, whole (mask bit `bit`) or, for
 * an array, element by element (element k: bit `bit` + k).
 */
export interface SectionSpec {
  readonly name: string;
  readonly bit: number;
  readonly perElement: boolean;
}

/**
 * Sections of the schema (a record) for one config, or null when a section shares a byte
 * with another field or element (then only a whole encoding is exact).
 */
export function compileSections<T>(
  schema: Field,
  config: Config,
  specs: readonly SectionSpec[],
): Sections<T> | null {
  if (schema.kind !== 'record') throw new Error('internal: sections of a schema that is no record');
  // Place the fields as compileCodec() does, noting the bytes each one occupies.
  const cur = new Cursor();
  const spans = Object.entries(schema.fields).map(([name, f]) => {
    const placed = place(f, config, cur, 0);
    const [from, to] = occupied(placed, 0);
    return { name, f, placed, from, to };
  });
  const apart = (from: number, to: number, self: (typeof spans)[number]) =>
    !spans.some((x) => x !== self && x.to > x.from && x.from < to && from < x.to);
  const enc = new Emitter();
  enc.emit('const map = null, cpus = null, finv = null, cinv = null;');
  enc.emit(`const cm = ${enc.ref(cm)};`);
  const copy = new Emitter();
  const valueFor = new Map<string, (v: string) => string>();
  for (const spec of specs) {
    const span = spans.find((x) => x.name === spec.name);
    if (span === undefined) throw new Error(`internal: no field ${spec.name} in the schema`);
    if (span.to > span.from && !apart(span.from, span.to, span)) return null;
    if (!spec.perElement) {
      const bit = 1 << spec.bit;
      if (span.to > span.from) {
        enc.emit(`if ((mask & ${bit}) !== 0) {`);
        enc.emit(`out.fill(0, at + ${span.from}, at + ${span.to});`);
        encodeField(enc, span.placed, `s.${spec.name}`, 'at', 's');
        enc.emit('}');
      }
      valueFor.set(spec.name, (v) => {
        const c = copy.v('c');
        copy.emit(`let ${c} = ${v};`);
        copy.emit(`if ((mask & ${bit}) !== 0) {`);
        copy.emit(`${c} = ${copyValue(copy, span.f, v)};`);
        copy.emit('}');
        return c;
      });
      continue;
    }
    // element by element: an array of records, each on bytes of its own
    const p = span.placed;
    const of = span.f.kind === 'array' ? span.f.of : null;
    if (of === null || (p.t !== 'array' && p.t !== 'unrolled') || (p.t === 'array' && p.packedBits > 0))
      throw new Error(`internal: ${spec.name} cannot be split into elements`);
    const n = p.t === 'array' ? p.n : p.elems.length;
    const any = ((1 << n) - 1) << spec.bit;
    for (let k = 0; k < n; k++) {
      enc.emit(`if ((mask & ${1 << (spec.bit + k)}) !== 0) {`);
      if (p.t === 'array') {
        const base = bind(enc, `at + ${p.start + k * p.stride}`);
        enc.emit(`out.fill(0, ${base}, ${base} + ${p.stride});`);
        encodeField(enc, p.elem, `s.${spec.name}[${k}]`, base, `s.${spec.name}`);
      } else {
        const [from, to] = occupied(p.elems[k]!, 0);
        if (to > from) enc.emit(`out.fill(0, at + ${from}, at + ${to});`);
        encodeField(enc, p.elems[k]!, `s.${spec.name}[${k}]`, 'at', `s.${spec.name}`);
      }
      enc.emit('}');
    }
    valueFor.set(spec.name, (v) => {
      const c = copy.v('c');
      copy.emit(`let ${c} = ${v};`);
      copy.emit(`if ((mask & ${any}) !== 0) {`);
      copy.emit(`${c} = ${c}.slice();`);
      for (let k = 0; k < n; k++) {
        copy.emit(`if ((mask & ${1 << (spec.bit + k)}) !== 0) {`);
        copy.emit(`${c}[${k}] = ${copyValue(copy, of, `${v}[${k}]`)};`);
        copy.emit('}');
      }
      copy.emit('}');
      return c;
    });
  }
  const r = copy.v('r');
  copy.emit(`const ${r} = s;`);
  const o = copyFields(copy, schema.fields, r, '', (name, _, v) => valueFor.get(name)?.(v) ?? v);
  copy.emit(`return ${o};`);
  return {
    copy: copy.build('copySections', 's, mask'),
    encode: enc.build('encodeSections', 's, out, at, mask'),
  };
}

/** A variable holding the value of `expression`, emitted. */
function bind(e: Emitter, expression: string): string {
  const x = e.v('p');
  e.emit(`const ${x} = ${expression};`);
  return x;
}

/** The first byte a placed field writes and the byte after its last, from `base` ([0, 0) if none). */
function occupied(p: Placed, base: number): [number, number] {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const add = ([f, t]: [number, number]) => {
    if (t <= f) return;
    from = Math.min(from, f);
    to = Math.max(to, t);
  };
  const bits = (at: Bits | null): [number, number] =>
    at === null || at.bits === 0 ? [0, 0] : [base + at.byte, base + at.byte + 1];
  switch (p.t) {
    case 'leaf':
      add(bits(p.at));
      break;
    case 'record':
      for (const [, x] of p.fields) add(occupied(x, base));
      break;
    case 'union':
      add(bits(p.tag));
      for (const [, fields] of p.variants) for (const [, x] of fields) add(occupied(x, base));
      break;
    case 'array': {
      add(bits(p.count));
      const length = p.packedBits > 0 ? (p.n * p.packedBits + 7) >> 3 : p.n * p.stride;
      add([base + p.start, base + p.start + length]);
      break;
    }
    case 'unrolled':
      for (const x of p.elems) add(occupied(x, base));
      break;
    case 'optional':
      add(bits(p.presence));
      add(occupied(p.inner, base));
      break;
    case 'nullable':
      add(bits(p.presence));
      add(occupied(p.inner, base));
      break;
    default:
      break;
  }
  return to > from ? [from, to] : [0, 0];
}

type Renumber = {
  readonly frame: ((f: number) => number) | null;
  readonly cpu: ((c: number) => number) | null;
  /** new index of element k of a frame- or CPU-indexed array */
  readonly frames: readonly number[] | null;
  readonly cpus: readonly number[] | null;
};

function relabelValue(f: Field, v: unknown, parent: unknown, r: Renumber): unknown {
  switch (f.kind) {
    case 'uint':
      return f.frameIf !== undefined && r.frame !== null && (f.frameIf as (p: unknown) => boolean)(parent)
        ? r.frame(v as number)
        : v;
    case 'frame':
      return r.frame === null || (v as number) < 0 ? v : r.frame(v as number);
    case 'cpu':
      return r.cpu === null ? v : r.cpu(v as number);
    case 'cpumask':
      return r.cpus === null ? v : cm(r.cpus, v as number);
    case 'bool':
    case 'flag':
    case 'enum':
    case 'config':
    case 'counter':
      return v;
    case 'record':
      return relabelFields(f.fields, v as Record<string, unknown>, r, {});
    case 'union': {
      const u = v as { kind: string } & Record<string, unknown>;
      return relabelFields(f.variants[u.kind]!, u, r, { kind: u.kind });
    }
    case 'array':
    case 'list': {
      const a = v as readonly unknown[];
      const out = a.map((x) => relabelValue(f.of, x, a, r));
      const to =
        f.kind === 'array' ? (f.index === 'frame' ? r.frames : f.index === 'cpu' ? r.cpus : null) : null;
      if (to === null) return out;
      const moved: unknown[] = new Array(out.length);
      out.forEach((x, k) => {
        moved[to[k]!] = x;
      });
      return moved;
    }
    case 'nullable':
      return v === null ? null : relabelValue(f.of, v, parent, r);
    case 'optional':
    case 'when':
      return relabelValue(f.of, v, parent, r);
  }
}

function relabelFields(
  fields: Readonly<Record<string, Field>>,
  v: Record<string, unknown>,
  r: Renumber,
  out: Record<string, unknown>,
): Record<string, unknown> {
  for (const [name, f] of Object.entries(fields)) {
    const x = v[name];
    if (x === undefined) continue;
    out[name] = relabelValue(f, x, v, r);
  }
  return out;
}

/** The value with every frame number mapped through `map` (old -> new, a permutation). */
export function relabelFramesOf<T>(schema: Field, s: T, map: readonly number[]): T {
  return relabelValue(schema, s, s, { frame: (f) => map[f]!, cpu: null, frames: map, cpus: null }) as T;
}

/** The value with every CPU number mapped through `map` (old -> new): CPUs, cpumasks, CPU-indexed arrays. */
export function relabelCpusOf<T>(schema: Field, s: T, map: readonly number[]): T {
  return relabelValue(schema, s, s, { frame: null, cpu: (c) => map[c]!, frames: null, cpus: map }) as T;
}
