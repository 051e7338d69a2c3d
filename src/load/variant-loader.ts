// Registers src/load/ts-loader.mjs, once per thread, before a user's variant file is imported.
// Worker threads do not share the main thread's module hooks on Node 20, so each thread
// that loads a variant file registers them itself.

import { existsSync } from 'node:fs';
import { register } from 'node:module';

/** What the hooks need: their own URL and the running shootdown's entry. */
export function variantLoader(): { readonly loader: string; readonly self: string } {
  const here = import.meta.url;
  // a clone runs the TypeScript sources; an installed package, dist/ (no .ts files shipped)
  const source = new URL('../index.ts', here);
  const self = existsSync(source) ? source : new URL('../index.js', here);
  return { loader: new URL('./ts-loader.mjs', here).href, self: self.href };
}

let registered = false;

export function registerVariantLoader(): void {
  if (registered) return;
  registered = true;
  const { loader, self } = variantLoader();
  register(loader, { data: { self } });
}
