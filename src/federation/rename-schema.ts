/**
 * Renames types (and root fields) of an executable schema, keeping its resolvers, entity
 * resolvers and directives: the subgraph served with `FEDERATION_TYPE_PREFIX` is the same
 * schema under other names. Resolvers keep working unchanged because:
 * - type references are rewired to the renamed types (graphql-js builds from `toConfig()`);
 * - abstract types answer the renamed type for what their original `resolveType` named;
 * - `_entities` finds types by the `__typename` the router sends, which is the renamed one;
 * - the AST nodes that carry federation directives (`@key`, `@shareable`, printed by
 *   `printSubgraphSchema`) are rewritten with the new names.
 */
import {
  type ASTNode,
  type GraphQLArgumentConfig,
  GraphQLDirective,
  GraphQLEnumType,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLInputFieldConfig,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLList,
  type GraphQLNamedType,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  type GraphQLType,
  type GraphQLTypeResolver,
  GraphQLUnionType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isSpecifiedDirective,
  isUnionType,
  type NameNode,
  visit,
} from 'graphql';

export interface RenamePlan {
  /** The new name of a named type (return it unchanged to keep it). */
  typeName(name: string): string;
  /** The new name of a root field (Query, Mutation, Subscription); null drops the field. */
  rootFieldName(name: string): string | null;
}

type Rewirer = {
  named: (type: GraphQLNamedType) => GraphQLNamedType;
  wrapped: <T extends GraphQLType>(type: T) => T;
};

/** Rewrites type references (and the definition's own name) inside an AST node. */
function renameAst<T extends ASTNode>(
  node: T | null | undefined,
  plan: RenamePlan,
  root: boolean,
): T | undefined {
  if (!node) return undefined;
  // Scalars are never renamed (plan.typeName only sees the schema's renamable types).
  const renamed = <N extends { name: NameNode }>(n: N): N => ({
    ...n,
    name: { ...n.name, value: plan.typeName(n.name.value) },
  });
  return visit(node, {
    NamedType: renamed,
    ObjectTypeDefinition: renamed,
    InterfaceTypeDefinition: renamed,
    UnionTypeDefinition: renamed,
    EnumTypeDefinition: renamed,
    InputObjectTypeDefinition: renamed,
    FieldDefinition: (n) => {
      if (!root) return undefined;
      const name = plan.rootFieldName(n.name.value);
      return name === null ? null : { ...n, name: { ...n.name, value: name } };
    },
    // Arguments and input values keep their names; only the root type's fields move.
    InputValueDefinition: () => undefined,
    Directive: () => false, // Directive arguments (e.g. `@key(fields:)`) name fields, not types.
  }) as T;
}

/** Maps a `resolveType` answer (a type name) to the renamed type. */
function renamedResolveType<TSource, TContext>(
  resolve: GraphQLTypeResolver<TSource, TContext> | undefined | null,
  plan: RenamePlan,
): GraphQLTypeResolver<TSource, TContext> | undefined {
  if (!resolve) return undefined;
  const map = (name: string | undefined): string | undefined =>
    typeof name === 'string' ? plan.typeName(name) : name;
  return (value, context, info, abstractType) => {
    const result = resolve(value, context, info, abstractType);
    return result instanceof Promise ? result.then(map) : map(result);
  };
}

function mapArgs(
  args: GraphQLFieldConfigArgumentMap | undefined,
  r: Rewirer,
): GraphQLFieldConfigArgumentMap {
  const out: GraphQLFieldConfigArgumentMap = {};
  for (const [name, arg] of Object.entries(args ?? {})) {
    out[name] = { ...arg, type: r.wrapped(arg.type) } satisfies GraphQLArgumentConfig;
  }
  return out;
}

export function renameSchema(schema: GraphQLSchema, given: RenamePlan): GraphQLSchema {
  const renamable = new Set(
    Object.values(schema.getTypeMap())
      .filter((t) => !isScalarType(t) && !t.name.startsWith('__'))
      .map((t) => t.name),
  );
  const plan: RenamePlan = {
    typeName: (name) => (renamable.has(name) ? given.typeName(name) : name),
    rootFieldName: given.rootFieldName,
  };
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
      t ? [t.name] : [],
    ),
  );
  const built = new Map<string, GraphQLNamedType>();
  const r: Rewirer = {
    named: (type) => {
      const existing = built.get(type.name);
      if (existing) return existing;
      const made = rebuild(type);
      built.set(type.name, made);
      return made;
    },
    wrapped: <T extends GraphQLType>(type: T): T => {
      if (isNonNullType(type)) return new GraphQLNonNull(r.wrapped(type.ofType)) as T;
      if (isListType(type)) return new GraphQLList(r.wrapped(type.ofType)) as T;
      return r.named(type as GraphQLNamedType) as T;
    },
  };

  const outputFields = <S, C>(fields: Record<string, GraphQLFieldConfig<S, C>>, root: boolean) => {
    const out: Record<string, GraphQLFieldConfig<S, C>> = {};
    for (const [name, field] of Object.entries(fields)) {
      const newName = root ? plan.rootFieldName(name) : name;
      if (newName === null) continue;
      const type = r.wrapped(field.type);
      out[newName] = { ...field, type, args: mapArgs(field.args, r), astNode: undefined };
    }
    return out;
  };

  function rebuild(type: GraphQLNamedType): GraphQLNamedType {
    if (isScalarType(type) || type.name.startsWith('__')) return type;
    const name = plan.typeName(type.name);
    if (isObjectType(type)) {
      const config = type.toConfig();
      const root = roots.has(type.name);
      return new GraphQLObjectType({
        ...config,
        name,
        astNode: renameAst(config.astNode, plan, root),
        interfaces: () => config.interfaces.map((i) => r.named(i) as GraphQLInterfaceType),
        fields: () => outputFields(config.fields, root),
      });
    }
    if (isInterfaceType(type)) {
      const config = type.toConfig();
      return new GraphQLInterfaceType({
        ...config,
        name,
        astNode: renameAst(config.astNode, plan, false),
        resolveType: renamedResolveType(config.resolveType, plan),
        interfaces: () => config.interfaces.map((i) => r.named(i) as GraphQLInterfaceType),
        fields: () => outputFields(config.fields, false),
      });
    }
    if (isUnionType(type)) {
      const config = type.toConfig();
      return new GraphQLUnionType({
        ...config,
        name,
        astNode: renameAst(config.astNode, plan, false),
        resolveType: renamedResolveType(config.resolveType, plan),
        types: () => config.types.map((t) => r.named(t) as GraphQLObjectType),
      });
    }
    if (isEnumType(type)) {
      const config = type.toConfig();
      const astNode = renameAst(config.astNode, plan, false);
      return new GraphQLEnumType({ ...config, name, astNode });
    }
    if (isInputObjectType(type)) {
      const config = type.toConfig();
      return new GraphQLInputObjectType({
        ...config,
        name,
        astNode: renameAst(config.astNode, plan, false),
        fields: () => {
          const out: Record<string, GraphQLInputFieldConfig> = {};
          for (const [field, value] of Object.entries(config.fields)) {
            out[field] = { ...value, type: r.wrapped(value.type) };
          }
          return out;
        },
      });
    }
    return type;
  }

  const root = (t: GraphQLObjectType | null | undefined) =>
    t ? (r.named(t) as GraphQLObjectType) : undefined;
  const config = schema.toConfig();
  return new GraphQLSchema({
    ...config,
    query: root(config.query),
    mutation: root(config.mutation),
    subscription: root(config.subscription),
    types: config.types.map((t) => r.named(t)),
    directives: config.directives.map((d) =>
      isSpecifiedDirective(d)
        ? d
        : new GraphQLDirective({ ...d.toConfig(), args: mapArgs(d.toConfig().args, r) }),
    ),
  });
}
