// Module hooks (node:module register()) through which the CLI imports a user's TypeScript
// variant file from any folder. A `.ts` or `.mts` file is compiled by esbuild as an ES
// module whatever its folder's package.json says: outside an ESM package (`npm init -y`
// writes "type": "commonjs") a `.ts` file would otherwise be taken for CommonJS, and its
// `import ... from 'shootdown'` would fail as a require() of an ES module. `shootdown`
// itself resolves to the copy that is running, so a variant is checked by the model it
// was written against and a project need not have installed it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

/** The URL of the running shootdown's entry (src/index.ts in a clone, dist/src/index.js installed). */
let self = '';

export function initialize(data) {
  self = data.self;
}

const TYPESCRIPT = /\.m?ts$/;

export async function resolve(specifier, context, next) {
  if (specifier === 'shootdown') return { url: self, shortCircuit: true };
  try {
    return await next(specifier, context);
  } catch (e) {
    // TypeScript's convention: './helpers.js' in a .ts file names './helpers.ts'
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !/\.m?js$/.test(specifier)) throw e;
    return next(specifier.replace(/js$/, 'ts'), context);
  }
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  try {
    const out = await transform(source, {
      loader: 'ts',
      format: 'esm',
      sourcefile: path,
      sourcemap: 'inline',
      target: 'node20',
    });
    return { format: 'module', source: out.code, shortCircuit: true };
  } catch (e) {
    // one line, file:line:column as esbuild prints it, for the CLI's error
    const first = e?.errors?.[0];
    if (first?.location === undefined || first.location === null) throw e;
    throw new Error(`${path}:${first.location.line}:${first.location.column}: ERROR: ${first.text}`);
  }
}
