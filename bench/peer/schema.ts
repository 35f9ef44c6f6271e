/**
 * The peer's schema: the subset of the gateway's schema that the benchmark queries, with the
 * same names and shapes, so one query document runs unchanged on both servers.
 */
export const typeDefs = /* GraphQL */ `
  "An object with a global ID."
  interface Node {
    id: ID!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type DataType implements Node {
    id: ID!
    databaseId: Int!
    name: String!
    description: String!
  }

  type Project implements Node {
    id: ID!
    databaseId: Int!
    name: String!
    "Members of the project (master token of that project)."
    members(first: Int, after: String): MemberConnection!
  }

  type User implements Node {
    id: ID!
    username: String!
    name: String!
  }

  type DataFile implements Node {
    id: ID!
    databaseId: Int!
    basename: String!
    created: String!
    source: String
    dataTypes: [DataType!]!
    sourceProject: Project
    user: User
  }

  type DataFileEdge {
    cursor: String!
    node: DataFile!
  }

  type DataFileConnection {
    edges: [DataFileEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Member implements Node {
    id: ID!
    projectMemberId: String!
    fileCount: Int!
    dataFiles(first: Int, after: String): DataFileConnection!
  }

  type MemberEdge {
    cursor: String!
    node: Member!
  }

  type MemberConnection {
    edges: [MemberEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Viewer {
    project: Project!
  }

  type Query {
    node(id: ID!): Node
    nodes(ids: [ID!]!): [Node]!
    dataFiles(first: Int, after: String, last: Int, before: String): DataFileConnection!
    viewer: Viewer
  }
`;
