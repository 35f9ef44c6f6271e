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
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/*
 * Operation cost, computed with the request's variables (so it runs at execution, not in
 * validation: yoga caches validation per document, and `first: $n` differs per request).
 *
 *   cost(field)  = (1 if the field returns an object, 0 for a leaf) + multiplier × cost(subtree)
 *   multiplier   = `first` or `last` (clamped to the maximum page size, whose own error is
 *                  clearer), the default page size on a connection given neither, else 1.
 *
 * A list argument of a field that returns objects (`nodes(ids:)`, `_entities(representations:)`,
 * any later one) fans out: each item is at least one upstream lookup, whatever is selected, so
 *
 *   cost(field)  = 1 + items × max(1, cost(subtree))
 *
 * and a list longer than `maxListItems` is refused outright (`extensions.limit: "listLength"`).
 *
 * Introspection is free; `@skip`/`@include` are ignored (counted as included).
 *
 * Not `@pothos/plugin-complexity`: it checks inside root resolvers (one error per root field,
 * after a subscription's `subscribe` already ran) and its `complexityFromQuery` counts only the
 * first operation of a document; docs/maintained-libraries.md has the measurements.
 */

export interface CostOptions {
  defaultPageSize: number;
  maxPageSize: number;
  /** `MAX_LIST_ARGUMENT_ITEMS`: longest fan-out list argument; @default no limit */
  maxListItems?: number;
}

/** A fan-out list argument over its maximum length (thrown inside the walk, reported once). */
class ListTooLong extends Error {
  constructor(
    readonly field: string,
    readonly argument: string,
    readonly length: number,
  ) {
    super(`${field}(${argument}:) has ${length} items`);
  }
}

type Variables = Readonly<Record<string, unknown>>;

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Variables;
  options: CostOptions;
}

function argumentValue(node: ValueNode, variables: Variables): unknown {
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

function argumentValues(field: FieldNode, variables: Variables): Map<string, unknown> {
  return new Map(
    (field.arguments ?? []).map((a) => [a.name.value, argumentValue(a.value, variables)]),
  );
}

function pageMultiplier(given: Map<string, unknown>, options: CostOptions): number {
  const size = [given.get('first'), given.get('last')].find(
    (v): v is number => typeof v === 'number' && Number.isFinite(v),
  );
  return size === undefined
    ? options.defaultPageSize
    : Math.max(0, Math.min(size, options.maxPageSize));
}

/** The longest list argument of `field` (0 when it has none); throws past `maxListItems`. */
function fanOut(
  field: FieldNode,
  def: GraphQLField<unknown, unknown>,
  given: Map<string, unknown>,
  walk: Walk,
): number {
  let items = 0;
  for (const arg of def.args) {
    const type = isNonNullType(arg.type) ? arg.type.ofType : arg.type;
    const value = given.get(arg.name);
    if (!isListType(type) || !Array.isArray(value)) continue;
    const max = walk.options.maxListItems;
    if (max !== undefined && value.length > max)
      throw new ListTooLong(field.name.value, arg.name, value.length);
    items = Math.max(items, value.length);
  }
  return items;
}

function selectionCost(
  set: SelectionSetNode,
  type: GraphQLNamedType,
  walk: Walk,
  seen: ReadonlySet<string>,
): number {
  let total = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(selection, type, walk, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const cond = selection.typeCondition
        ? walk.schema.getType(selection.typeCondition.name.value)
        : type;
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

function fieldCost(
  field: FieldNode,
  parent: GraphQLNamedType,
  walk: Walk,
  seen: ReadonlySet<string>,
): number {
  const name = field.name.value;
  if (name.startsWith('__')) return 0; // __typename, and introspection is served from memory
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  const def = parent.getFields()[name];
  if (!def) return 0;
  const type = getNamedType(def.type);
  if (!isCompositeType(type)) return 0;
  const given = argumentValues(field, walk.variables);
  const subtree = field.selectionSet ? selectionCost(field.selectionSet, type, walk, seen) : 0;
  if (def.args.some((a) => a.name === 'first' || a.name === 'last'))
    return 1 + pageMultiplier(given, walk.options) * subtree;
  const items = fanOut(field, def, given, walk);
  return items > 0 ? 1 + items * Math.max(1, subtree) : 1 + subtree;
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
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations[0];
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  return selectionCost(
    operation.selectionSet,
    root,
    { schema, fragments, variables: variables ?? {}, options },
    new Set(),
  );
}

/** Refuses operations costing more than `maxCost`, before any resolver runs. */
export function useCostLimit(maxCost: number, options: CostOptions): Plugin {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Variables | null;
  }) => {
    let cost: number;
    try {
      cost = operationCost(
        args.schema,
        args.document,
        args.operationName,
        args.variableValues,
        options,
      );
    } catch (err) {
      if (!(err instanceof ListTooLong)) throw err;
      const max = options.maxListItems ?? 0;
      return limitError(
        'listLength',
        `\`${err.field}(${err.argument}:)\` takes at most ${max} items, found ${err.length}. Ask in several requests.`,
        { max, actual: err.length },
      );
    }
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
