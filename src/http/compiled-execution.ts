/**
 * Compiled execution of queries (graphql-jit): a query document seen often enough is compiled
 * once into a function that runs its resolvers without the interpreter's per-field work; its
 * answers are the interpreter's, byte for byte (docs/compiled-execution.md).
 *
 * Why each rule:
 * - compiling costs far more than interpreting once, so an operation is compiled on its
 *   `compileAfter`-th sighting only (a client sending ever-new documents never pays it), and
 *   both the sighting counts and the compiled plans are bounded LRUs of operations (one
 *   document can hold hundreds);
 * - its cost follows the fields with fragments spread out, which no limit bounds (`first: 0`
 *   and introspection are free, `__schema` has no depth limit): an operation over `maxFields`,
 *   or one selecting `__schema`/`__type` (served from memory), is never compiled;
 * - queries only: mutations run rarely and in order, subscriptions are never compiled (this
 *   plugin does not hook `onSubscribe`);
 * - anything graphql-jit refuses to compile, and every request whose variables fail to coerce,
 *   is run by the interpreter (so its errors are the interpreter's own);
 * - graphql-jit's errors are plain objects that carry `locations` but no AST nodes, and its
 *   results put `data` before `errors`: each error is rebuilt as the interpreter builds it
 *   (`locatedError` on the field's nodes, the resolver's error as `originalError`) and the result
 *   is `{ errors, data }`, so masking, codes and serialisation see the interpreter's objects.
 *
 * Registered before the response cache: a plugin's `onExecute` receives the execute function in
 * force when it runs, so the response cache wraps this one (hits never reach it) and its document
 * with metadata fields (a stable object per document) is what gets compiled.
 */
import type {
  ASTNode,
  DocumentNode,
  ExecutionResult,
  GraphQLSchema,
  OperationDefinitionNode,
} from 'graphql';
import {
  GraphQLError,
  getLocation,
  getOperationAST,
  isLeafType,
  locatedError,
  visit,
} from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { expandedFields } from './operation-size.js';

export interface CompiledExecutionOptions {
  /** The sighting of a document that compiles it (1: the first). @default 2 */
  compileAfter?: number;
  /** Compiled operations kept (least recently used dropped first). @default 500 */
  maxCompiled?: number;
  /** Operations whose sightings are counted. @default 1000 */
  maxTracked?: number;
  /**
   * Largest operation compiled, in fields with its fragments spread out; a larger one, and any
   * that selects `__schema` or `__type`, runs interpreted. @default 500
   */
  maxFields?: number;
  /** Told of every document graphql-jit could not compile (it then runs interpreted). */
  onCompileError?: (errors: readonly GraphQLError[]) => void;
}

type Execute = (args: ExecuteArgs) => unknown;

interface ExecuteArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  rootValue?: unknown;
  contextValue?: unknown;
  variableValues?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** A compiled operation, or `null`: run it interpreted. */
type Plan = CompiledPlan | null;

interface CompiledPlan {
  query: CompiledQuery['query'];
  document: DocumentNode;
  /** Nodes by `line:column`, built on the first error (most plans never need it). */
  nodesAt?: Map<string, ASTNode>;
}

/** A compiled operation and the schema it was compiled for. */
interface OperationPlan {
  schema: GraphQLSchema;
  plan: Plan;
}

interface JitError {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  originalError?: unknown;
}

/** graphql-jit's own messages for what the interpreter reports as an unexpected (masked) error. */
const UNEXPECTED_MESSAGES =
  /^(Cannot return null for non-nullable field |Expected a value of type ".*" but received)/s;

/**
 * Marks the message of a leaf that failed to serialise: graphql-jit passes on only the message,
 * and the interpreter turns every such failure into a plain Error (masked as unexpected).
 */
const SERIALIZE_FAILED = '\u0000serialize\u0000';

/** Every leaf type's `serialize`, failing as the interpreter's does (also on null/undefined). */
const leafSerializers = new WeakMap<GraphQLSchema, Record<string, (value: unknown) => unknown>>();

function serializersOf(schema: GraphQLSchema): Record<string, (value: unknown) => unknown> {
  let serializers = leafSerializers.get(schema);
  if (serializers) return serializers;
  serializers = {};
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isLeafType(type)) continue;
    serializers[type.name] = (value) => {
      let out: unknown;
      try {
        out = type.serialize(value);
      } catch (error) {
        throw new Error(
          SERIALIZE_FAILED + (error instanceof Error ? error.message : String(error)),
        );
      }
      if (out == null) throw new Error(`${SERIALIZE_FAILED}${type.name} serialised to nothing`);
      return out;
    };
  }
  leafSerializers.set(schema, serializers);
  return serializers;
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

export function useCompiledExecution(options: CompiledExecutionOptions = {}): Plugin {
  const compileAfter = Math.max(1, options.compileAfter ?? 2);
  const maxFields = options.maxFields ?? 500;
  // Keyed by operation (a stable node of the cached parsed document), not by document: one
  // document can hold hundreds of operations, and each compiled one is a plan of its own.
  const sightings = new LRUCache<OperationDefinitionNode, number>({
    max: options.maxTracked ?? 1000,
  });
  const compiled = new LRUCache<OperationDefinitionNode, OperationPlan>({
    max: options.maxCompiled ?? 500,
  });

  /** The plan for this execution, compiling it on the right sighting; undefined: not yet. */
  function planFor(args: ExecuteArgs): Plan | undefined {
    const { document, schema } = args;
    const operation = getOperationAST(document, args.operationName);
    if (!operation) return undefined; // the interpreter reports it
    const entry = compiled.get(operation);
    if (entry?.schema === schema) return entry.plan;
    const seen = (sightings.get(operation) ?? 0) + 1;
    if (seen < compileAfter) {
      sightings.set(operation, seen);
      return undefined;
    }
    sightings.delete(operation);
    const plan = compile(schema, document, operation, args.operationName, maxFields, options);
    compiled.set(operation, { schema, plan });
    return plan;
  }

  function execute(args: ExecuteArgs, interpret: Execute): unknown {
    const plan = planFor(args);
    if (!plan) return interpret(args);
    const result = plan.query(args.rootValue, args.contextValue, args.variableValues);
    return isPromise(result)
      ? result.then((done) => finish(plan, done as ExecutionResult, args, interpret))
      : finish(plan, result as ExecutionResult, args, interpret);
  }

  return {
    onExecute({ executeFn, setExecuteFn }) {
      const interpret = executeFn as Execute;
      setExecuteFn(((args: ExecuteArgs) => execute(args, interpret)) as typeof executeFn);
    },
  };
}

function compile(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  operationName: string | null | undefined,
  maxFields: number,
  { onCompileError: onError }: CompiledExecutionOptions,
): Plan {
  // Mutations keep the interpreter (serial, rare); subscriptions never get here.
  if (operation.operation !== 'query') return null;
  // Compiling costs about its generated code, i.e. the fields with every fragment spread out,
  // which the limits do not bound: fragments multiply, `first: 0` makes a subtree free, and
  // `__schema` is exempt from the depth limit (a 400-deep `ofType` chain: seconds to compile).
  if (expandedFields(document, operation.selectionSet, maxFields) > maxFields) return null;
  try {
    const result = compileQuery(schema, document, operationName ?? undefined, {
      // Stack traces are never shown (masking), and capturing one per error is costly.
      disablingCapturingStackErrors: true,
      customSerializers: serializersOf(schema),
    });
    if (isCompiledQuery(result)) return { query: result.query, document };
    onError?.((result.errors ?? []) as GraphQLError[]);
  } catch (error) {
    onError?.([error instanceof GraphQLError ? error : new GraphQLError(String(error))]);
  }
  return null;
}

/** The interpreter's answer from graphql-jit's: its errors rebuilt, `errors` before `data`. */
function finish(
  plan: CompiledPlan,
  result: ExecutionResult,
  args: ExecuteArgs,
  interpret: Execute,
): unknown {
  // No `data`: the variables did not coerce and nothing ran; the interpreter reports that.
  if (!('data' in result)) return interpret(args);
  const errors = result.errors;
  if (!errors || errors.length === 0) return result;
  return { errors: errors.map((error) => relocated(plan, error as JitError)), data: result.data };
}

/** A graphql-jit error as the interpreter would have made it (nodes, path, originalError). */
function relocated(plan: CompiledPlan, error: JitError): GraphQLError {
  const nodes = (error.locations ?? [])
    .map(({ line, column }) => nodesAt(plan).get(`${line}:${column}`))
    .filter((node): node is ASTNode => node !== undefined);
  const path = error.path ? [...error.path] : undefined;
  if (error.originalError !== undefined) {
    return locatedError(error.originalError, nodes.length > 0 ? nodes : undefined, path);
  }
  // The interpreter's own errors: a plain Error (masked as unexpected) for a null in a non-null
  // field or a leaf that failed to serialise; a GraphQLError (shown) for the rest.
  const serialize = error.message.startsWith(SERIALIZE_FAILED);
  const message = serialize ? error.message.slice(SERIALIZE_FAILED.length) : error.message;
  const unexpected = serialize || UNEXPECTED_MESSAGES.test(message);
  return new GraphQLError(message, {
    nodes: nodes.length > 0 ? nodes : undefined,
    path,
    originalError: unexpected ? new Error(message) : undefined,
  });
}

/** Every node of the document by the location graphql-jit reports (the outermost first). */
function nodesAt(plan: CompiledPlan): Map<string, ASTNode> {
  if (plan.nodesAt) return plan.nodesAt;
  const map = new Map<string, ASTNode>();
  visit(plan.document, {
    enter(node) {
      if (!node.loc) return;
      const { line, column } = getLocation(node.loc.source, node.loc.start);
      const key = `${line}:${column}`;
      if (!map.has(key)) map.set(key, node);
    },
  });
  plan.nodesAt = map;
  return map;
}
