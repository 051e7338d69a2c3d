// Entry of an explorer worker thread: the model is TypeScript, so load it through tsx, as
// bin/shootdown.mjs does. Any failure is reported to the main thread through the control
// words (it waits in Atomics.wait and would otherwise wait for ever).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  await import('./explore-worker.ts');
} catch (e) {
  const ctl = new Int32Array(workerData.setup.ctl);
  workerData.port.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  // CTL.error, then CTL.done, as src/parallel-shared.ts lays them out
  Atomics.store(ctl, 6, 1);
  Atomics.add(ctl, 2, 1);
  Atomics.notify(ctl, 2);
}
