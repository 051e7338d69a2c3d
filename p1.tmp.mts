import { findVariant } from '/work/main/model/registry.ts';
import { CONFIGS } from '/work/main/model/config.ts';
import { explore } from '/work/main/src/engine/explore.ts';
const t0 = Date.now();
const r = explore(findVariant('migrate-batched')!, CONFIGS.small, { maxSeconds: 20 });
console.log(r.distinct, r.generated, Date.now() - t0, 'ms', Math.round(r.distinct / r.seconds), 'states/s', Math.round(r.generated / r.seconds), 'trans/s');
