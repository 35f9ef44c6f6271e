import type {
  FieldNode,
  FragmentDefinitionNode,
  GraphQLResolveInfo,
  SelectionSetNode,
} from 'graphql';

/**
 * True when the field being resolved selects any of `names` anywhere beneath it (through inline
 * fragments and fragment spreads). A cheap over-approximation, used only to start work early:
 * a false positive costs one cached call, never a wrong answer.
 */
export function selectsAnyField(info: GraphQLResolveInfo, names: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean => {
    if (!set) return false;
    for (const sel of set.selections) {
      if (sel.kind === 'Field') {
        if (names.has(sel.name.value) || visit(sel.selectionSet)) return true;
      } else if (sel.kind === 'InlineFragment') {
        if (visit(sel.selectionSet)) return true;
      } else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const fragment: FragmentDefinitionNode | undefined = info.fragments[sel.name.value];
        if (visit(fragment?.selectionSet)) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node: FieldNode) => visit(node.selectionSet));
}
