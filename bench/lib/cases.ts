/**
 * The benchmark's query cases: one GraphQL document each (run unchanged on the gateway and the
 * peer) and the floor's HTTP route that answers the same data.
 */
export type CaseId = 'a' | 'b-last' | 'b-after' | 'c' | 'd';

export interface Fixtures {
  masterToken: string;
  /** Cursor of the item at offset 4,999, so the page after it starts at offset 5,000. */
  afterCursor: string;
  /** 100 global ids: data files, users, projects and data types, interleaved. */
  nodeIds: string[];
}

export interface BenchCase {
  id: CaseId;
  scenario: 'a' | 'b' | 'c' | 'd';
  title: string;
  /** For chart panels. */
  short: string;
  /** What the floor does, for the report. */
  floorPlan: string;
  query: string;
  variables(f: Fixtures): Record<string, unknown>;
  /** Sends the project's master token. */
  master: boolean;
}

export const CASES: readonly BenchCase[] = [
  {
    id: 'a',
    scenario: 'a',
    title: '(a) explorer page: 100 public files with dataTypes, sourceProject, user',
    short: '(a) explorer page, 100 files',
    floorPlan: 'P1 page of 100 ∥ P3 all data types ∥ P10 all projects (3 calls, one round)',
    master: false,
    variables: () => ({}),
    query: /* GraphQL */ `query ExplorerPage {
  dataFiles(first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id databaseId basename
      dataTypes { databaseId name }
      sourceProject { databaseId name }
      user { username }
    } }
  }
}`,
  },
  {
    id: 'b-last',
    scenario: 'b',
    title: '(b) deep paging: last: 10 of the whole public list',
    short: '(b) last: 10 of all files',
    floorPlan: 'P1 count (limit=1), then P1 last page (2 calls, two rounds)',
    master: false,
    variables: () => ({}),
    query: /* GraphQL */ `query LastPage {
  dataFiles(last: 10) {
    totalCount
    pageInfo { hasPreviousPage hasNextPage }
    edges { cursor node { id databaseId basename } }
  }
}`,
  },
  {
    id: 'b-after',
    scenario: 'b',
    title: '(b) deep paging: first: 50 after a cursor at offset 5,000',
    short: '(b) first: 50 after offset 5,000',
    floorPlan: 'P1 offset=5000 limit=50 (1 call)',
    master: false,
    variables: (f) => ({ after: f.afterCursor }),
    query: /* GraphQL */ `query DeepPage($after: String!) {
  dataFiles(first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage }
    edges { cursor node { id databaseId basename } }
  }
}`,
  },
  {
    id: 'c',
    scenario: 'c',
    title: '(c) coordinator view: 100 members with 5 files each (master token)',
    short: '(c) 100 members × 5 files',
    floorPlan:
      'D2 page of 100 (embeds ≤10 files), then D3 limit=5 for each member with >10 files, in parallel',
    master: true,
    variables: () => ({}),
    query: /* GraphQL */ `query CoordinatorView {
  viewer { project { members(first: 100) {
    totalCount
    edges { node {
      id projectMemberId fileCount
      dataFiles(first: 5) { edges { node { id databaseId basename source } } }
    } }
  } } }
}`,
  },
  {
    id: 'd',
    scenario: 'd',
    title: '(d) nodes: 100 mixed ids (25 files, 25 users, 25 projects, 25 data types)',
    short: '(d) nodes of 100 mixed ids',
    floorPlan:
      'P2 per file ∥ P7 per user ∥ P10 all projects ∥ P3 all data types (52 calls, one round)',
    master: false,
    variables: (f) => ({ ids: f.nodeIds }),
    query: /* GraphQL */ `query MixedNodes($ids: [ID!]!) {
  nodes(ids: $ids) {
    __typename id
    ... on DataFile { databaseId basename }
    ... on User { username name }
    ... on Project { databaseId name }
    ... on DataType { databaseId name }
  }
}`,
  },
];
