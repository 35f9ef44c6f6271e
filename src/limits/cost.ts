import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
  ValueNode,
} from 'graphql';
import { Kind, getNamedType, isCompositeType, isInterfaceType, isListType, isNonNullType, isObjectType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/*
 * Operation cost, computed with the request's variables (so it runs at execution, not in
 * validation: yoga caches validation per document, and `first: $n` differs per request).
 *
 *   cost(field)  = (1 if the field returns an object, 0 for a leaf) + multiplier × cost(subtree)
 *   multiplier   = `first` or `last` (clamped to the maximum page size, whose own error is
 *                  clearer), the default page size on a connection given neither, the length
 *                  of a list argument (`nodes(ids:)`), else 1.
 *
 * Introspection is free; `@skip`/`@include` are ignored (counted as included).
 */

export interface CostOptions {
  defaultPageSize: number;
  maxPageSize: number;
}

type Variables = Readonly<Record<string, unknown>>;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
  options: CostOptions;
}

function valueOf(node: ValueNode, variables: Variables): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.INT:
      return Number(node.value);
    case Kind.LIST:
      return node.values;
    case Kind.NULL:
      return null;
    default:
      return undefined;
  }
}

function multiplierOf(field: FieldNode, def: GraphQLField<unknown, unknown>, walk: Walk): number {
  const given = new Map((field.arguments ?? []).map((a) => [a.name.value, valueOf(a.value, walk.variables)]));
  const { defaultPageSize, maxPageSize } = walk.options;
  const hasPaging = def.args.some((a) => a.name === 'first' || a.name === 'last');
  if (hasPaging) {
    const size = [given.get('first'), given.get('last')].find((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return size === undefined ? defaultPageSize : Math.max(0, Math.min(size, maxPageSize));
  }
  let multiplier = 1;
  for (const arg of def.args) {
    const type = isNonNullType(arg.type) ? arg.type.ofType : arg.type;
    const value = given.get(arg.name);
    if (isListType(type) && Array.isArray(value)) multiplier = Math.max(multiplier, value.length);
  }
  return multiplier;
}

function selectionCost(set: SelectionSetNode, type: GraphQLNamedType, walk: Walk, seen: ReadonlySet<string>): number {
  let total = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(selection, type, walk, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const cond = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : type;
      if (cond) total += selectionCost(selection.selectionSet, cond, walk, seen);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || seen.has(name)) continue; // cycles are invalid anyway
      const cond = walk.schema.getType(fragment.typeCondition.name.value);
      if (cond) total += selectionCost(fragment.selectionSet, cond, walk, new Set([...seen, name]));
    }
  }
  return total;
}

function fieldCost(field: FieldNode, parent: GraphQLNamedType, walk: Walk, seen: ReadonlySet<string>): number {
  const name = field.name.value;
  if (name.startsWith('__')) return 0; // __typename, and introspection is served from memory
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  const def = parent.getFields()[name];
  if (!def) return 0;
  const type = getNamedType(def.type);
  if (!isCompositeType(type) || !field.selectionSet) return 0;
  return 1 + multiplierOf(field, def, walk) * selectionCost(field.selectionSet, type, walk, seen);
}

/** The cost of the operation `operationName` (or the only one) of `document`. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables | null | undefined,
  options: CostOptions,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    if (def.kind === Kind.OPERATION_DEFINITION) operations.push(def);
  }
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  return selectionCost(operation.selectionSet, root, { schema, fragments, variables: variables ?? {}, options }, new Set());
}

/** Refuses operations costing more than `maxCost`, before any resolver runs. */
export function useCostLimit(maxCost: number, options: CostOptions): Plugin {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Variables | null;
  }) => {
    const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues, options);
    if (cost <= maxCost) return null;
    return limitError(
      'cost',
      `Query cost limit of ${maxCost} exceeded, found ${cost}. Ask for smaller pages (\`first\`/\`last\`) or fewer nested connections.`,
      { max: maxCost, actual: cost },
    );
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
