import { apply, enabled } from './model/actions.js';
import { worldConfig } from './model/config.js';
import { allActions } from './model/enumerate.js';
import { initialState, type State } from './model/state.js';
import { VARIANTS } from './model/registry.js';
import { copyState, encode, decode, layoutOf } from './src/codec/encode.js';
import { rng } from './src/engine/swarm.js';
const v = VARIANTS.find(x => x.id === 'migrate-batched')!;
const config = worldConfig('small', 'exhaustive');
const u = allActions(v, config);
const r = rng(7);
const states: State[] = [];
const layout = layoutOf(config);
while (states.length < 20000) {
  let s = initialState(config);
  for (let d = 0; d < 30; d++) {
    const en = u.filter(a => enabled(v, s, a));
    if (en.length === 0) break;
    const t = copyState(s); apply(v, t as any, en[Math.floor(r() * en.length)]!); s = t;
    // as the explorer sees them: decoded
    const b = new Uint8Array(layout.size); encode(layout, s, b); states.push(decode(layout, b));
  }
}
const out = new Uint8Array(layout.size + 4);
for (let rep = 0; rep < 5; rep++) {
  let t0 = performance.now(); let x = 0;
  for (let i = 0; i < 10; i++) for (const s of states) { const c = copyState(s); x += c.cpus.length; }
  const tc = performance.now() - t0; t0 = performance.now();
  for (let i = 0; i < 10; i++) for (const s of states) encode(layout, s, out);
  const te = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < 10; i++) for (const s of states) { const c = copyState(s); encode(layout, c, out); }
  const tce = performance.now() - t0;
  console.log(`copy ${(tc/2e5*1e3).toFixed(3)} us, encode ${(te/2e5*1e3).toFixed(3)} us, copy+encode(copy) ${(tce/2e5*1e3).toFixed(3)} us`, x>0);
}
const bytes = states.map(s => { const b = new Uint8Array(layout.size); encode(layout, s, b); return b; });
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now(); let x = 0;
  for (let i = 0; i < 10; i++) for (const b of bytes) { const c = decode(layout, b); x += c.cpus.length; }
  console.log(`decode ${((performance.now()-t0)/2e5*1e3).toFixed(3)} us`);
  t0 = performance.now();
  for (let i = 0; i < 10; i++) for (const s of states) { for (let j=0;j<10;j++){ const c = copyState(s); x += c.cpus.length; }}
  console.log(`copy same state x10 ${((performance.now()-t0)/2e6*1e3).toFixed(3)} us`);
}
