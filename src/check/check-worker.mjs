// Entry of a check worker thread. In a clone the model is TypeScript, loaded through tsx as
// bin/shootdown.mjs does; an installed package runs the compiled check-worker.js beside this file.
// A failure to load is reported to the main thread, which would otherwise wait for a
// verdict that never comes.
import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const source = new URL('./check-worker.ts', import.meta.url);
try {
  if (existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  } else await import('./check-worker.js');
} catch (e) {
  parentPort.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
