// A Stryker ignorer (stryker.config.mjs, `ignorers: ['prose']`): no mutant in the prose of
// the registry. A `title`, `source`, `notes` or `why` string (and the `why` argument of
// model/config.ts's withCaller) is a sentence for the reader of `shootdown list` and of the
// reports; emptying it changes no verdict, and a test pinning each sentence would only copy
// it. Ids, kernel step names and every other string are still mutated. See MUTATION.md.

import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const PROSE_KEYS = new Set(['title', 'source', 'notes', 'why']);
const PROSE_ARGUMENTS = { withCaller: 1 }; // callee name -> index of its `why` argument

const isText = (path) => path.isStringLiteral() || path.isTemplateLiteral();

function keyName(node) {
  if (node.computed) return undefined;
  if (node.key.type === 'Identifier') return node.key.name;
  if (node.key.type === 'StringLiteral') return node.key.value;
  return undefined;
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'prose', {
    shouldIgnore(path) {
      if (!isText(path)) return undefined;
      const parent = path.parentPath;
      if (
        parent?.isObjectProperty() &&
        parent.node.value === path.node &&
        PROSE_KEYS.has(keyName(parent.node))
      )
        return `prose: the ${keyName(parent.node)} of a registry entry`;
      if (parent?.isCallExpression() && parent.node.callee.type === 'Identifier') {
        const index = PROSE_ARGUMENTS[parent.node.callee.name];
        if (index !== undefined && parent.node.arguments[index] === path.node)
          return `prose: the why of ${parent.node.callee.name}()`;
      }
      return undefined;
    },
  }),
];
