import { apply, enabled } from './model/actions.js';
import { worldConfig, CONFIGS } from './model/config.js';
import { allActions } from './model/enumerate.js';
import { initialState, type State } from './model/state.js';
import { VARIANTS } from './model/registry.js';
import { copyState } from './src/codec/encode.js';
import { footprint, locationsOf } from './model/footprint.js';
import { rng } from './src/engine/swarm.js';
for (const [vid, cname] of [['migrate-batched','small'],['migrate-batched','tiny'],['reclaim-batched-dirty','tiny-syscalls'],['migrc','tiny-migrc']]) {
const v = VARIANTS.find(x => x.id === vid)!;
const config = (CONFIGS as any)[cname] ?? worldConfig(cname, 'exhaustive');
const u = allActions(v, config);
const where = locationsOf(config);
const r = rng(7); const out = new Int32Array(2);
let total = 0, noop = 0; const byOp: Record<string, number> = {};
for (let w = 0; w < 300; w++) {
  let s = initialState(config);
  for (let d = 0; d < 30; d++) {
    const en = u.filter(a => enabled(v, s, a));
    if (en.length === 0) break;
    for (const a of en) { total++; footprint(v.policy, where, s, a, out, 0); if (out[1] === 0) { noop++; byOp[a.op] = (byOp[a.op] ?? 0) + 1; } }
    const t = copyState(s); apply(v, t as any, en[Math.floor(r() * en.length)]!); s = t;
  }
}
console.log(vid, cname, config.name, total, (noop/total*100).toFixed(1)+'%', byOp);
}
