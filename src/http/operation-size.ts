/**
 * The size of an operation as graphql-jit generates code for it, which is what compiling it
 * costs (src/http/compiled-execution.ts, docs/compiled-execution.md).
 */
import type { DocumentNode, FragmentDefinitionNode, SelectionSetNode } from 'graphql';
import { Kind } from 'graphql';

/**
 * The fields of `set` with every fragment spread out (each fragment counted once, then reused,
 * so this is linear in the document), Infinity if it selects `__schema` or `__type` (served from
 * memory, and `__schema` has no depth limit); stops counting past `max`.
 */
export function expandedFields(document: DocumentNode, set: SelectionSetNode, max: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions)
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const sizes = new Map<string, number>();
  const count = (selections: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selections.selections) {
      if (total > max) break;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__schema' || name === '__type') return Number.POSITIVE_INFINITY;
        total += 1 + (selection.selectionSet ? count(selection.selectionSet) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += count(selection.selectionSet);
      } else {
        const name = selection.name.value;
        let size = sizes.get(name);
        if (size === undefined) {
          sizes.set(name, 0); // a cycle (invalid anyway) counts nothing more
          const fragment = fragments.get(name);
          size = fragment ? count(fragment.selectionSet) : 0;
          sizes.set(name, size);
        }
        total += size;
      }
    }
    return total;
  };
  return count(set);
}
