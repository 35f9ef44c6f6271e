/**
 * Other teams' subgraphs against this one: a `catalog` subgraph that @provides fields of our
 * value types (connections, edges, PageInfo, SharedSource), @requires our entity fields, and
 * @override-s one of them, using @tag and @inaccessible for contracts, composes with ours in both
 * Apollo's composer (@apollo/composition) and the Guild's (@theguild/federation-composition).
 * Without @shareable on our value types, it is refused (checked too). Entity fields (e.g.
 * `Project.name`) stay owned here: @provides of those would need them @shareable, which this
 * subgraph does not promise.
 */
import { composeServices as composeApollo } from '@apollo/composition';
import { buildSubgraph } from '@apollo/federation-internals';
import { composeServices as composeGuild } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSubgraph, subgraphSchema } from '../../src/federation/subgraph.js';

const CATALOG = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6",
        import: ["@key", "@shareable", "@external", "@provides", "@requires", "@override", "@tag", "@inaccessible"])

type Query {
  "Files a curator features, with their count answered here (provided)."
  featuredFiles: DataFileConnection! @provides(fields: "totalCount") @tag(name: "public")
  "A project picked by the catalog (an entity reference; the rest comes from Open Humans)."
  pick: Project
  "Internal ranking, hidden from the supergraph's clients."
  ranking: [Int!]! @inaccessible
}

type DataFileConnection @shareable {
  totalCount: Int! @external
  pageInfo: PageInfo!
  edges: [DataFileEdge!]!
}

type DataFileEdge @shareable {
  node: DataFile!
  cursor: String!
}

type PageInfo @shareable {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type SharedSource @shareable {
  idLabel: String!
}

type Project @key(fields: "id") {
  id: ID!
  name: String! @external
  "Needs the project's name from the Open Humans subgraph."
  catalogTitle: String! @requires(fields: "name")
  "The catalog answers this one now."
  slug: String! @override(from: "openhumans") @tag(name: "public")
}

type DataFile @key(fields: "id") {
  id: ID!
  basename: String! @external
  displayName: String! @requires(fields: "basename")
}
`;

const ours = () => printSubgraph(subgraphSchema());

function apolloErrors(sdlOurs: string): string[] {
  const result = composeApollo([
    { name: 'openhumans', url: 'http://openhumans/subgraph', typeDefs: parse(sdlOurs) },
    { name: 'catalog', url: 'http://catalog/graphql', typeDefs: parse(CATALOG) },
  ]);
  return (result.errors ?? []).map((e) => e.message);
}

function guildErrors(sdlOurs: string): string[] {
  const result = composeGuild([
    { name: 'openhumans', url: 'http://openhumans/subgraph', typeDefs: parse(sdlOurs) },
    { name: 'catalog', url: 'http://catalog/graphql', typeDefs: parse(CATALOG) },
  ]);
  return (result.errors ?? []).map((e) => e.message);
}

describe('composition with a subgraph using @provides, @requires, @override, @tag, @inaccessible', () => {
  it('the subgraph imports @tag and @inaccessible and marks value types @shareable', () => {
    const sdl = ours();
    expect(sdl).toMatch(/import: \[[^\]]*"@tag"[^\]]*"@inaccessible"/);
    for (const type of [
      'PageInfo',
      'DataFileConnection',
      'DataFileEdge',
      'ProjectConnection',
      'SharedSource',
    ]) {
      expect(sdl, type).toMatch(new RegExp(`type ${type}\\s+@shareable`));
    }
    // Valid as a subgraph on its own (Apollo's subgraph validation).
    expect(() =>
      buildSubgraph('openhumans', 'http://openhumans/subgraph', sdl).validate(),
    ).not.toThrow();
  });

  it("composes in Apollo's composer", () => {
    expect(apolloErrors(ours())).toEqual([]);
  });

  it("composes in the Guild's composer", () => {
    expect(guildErrors(ours())).toEqual([]);
  });

  it('would not compose without @shareable on the value types (the check has teeth)', () => {
    const unshared = ours().replace(/(type \w+(?:Connection|Edge))\s+@shareable/g, '$1');
    expect(apolloErrors(unshared).join('\n')).toMatch(
      /non-shareable field "DataFile(Connection|Edge)\./i,
    );
    expect(guildErrors(unshared).length).toBeGreaterThan(0);
  });
});
