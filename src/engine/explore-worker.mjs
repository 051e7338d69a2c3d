// Entry of an explorer worker thread. In a clone the model is TypeScript, loaded through tsx as
// bin/shootdown.mjs does; an installed package runs the compiled explore-worker.js beside this file.
// Any failure is reported to the main thread through the control words (it waits in
// Atomics.wait and would otherwise wait for ever).
import { existsSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const source = new URL('./explore-worker.ts', import.meta.url);
try {
  if (existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  } else await import('./explore-worker.js');
} catch (e) {
  const ctl = new Int32Array(workerData.setup.ctl);
  workerData.port.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  // CTL.error, then CTL.done, as src/engine/parallel-shared.ts lays them out
  Atomics.store(ctl, 6, 1);
  Atomics.add(ctl, 2, 1);
  Atomics.notify(ctl, 2);
}
