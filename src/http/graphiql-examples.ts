import type { GraphQLSchema } from 'graphql';
import { parse, validate } from 'graphql';

/** One GraphiQL tab the page opens with (when the browser has no saved tabs yet). */
export interface ExampleTab {
  query: string;
  variables?: string;
  headers?: string;
}

const PUBLIC_FILES = `# Open Humans public data through GraphQL. Public data needs no token.
# Run with the ▶ button (or Ctrl+Enter); the other tabs hold more examples.
query PublicDataFiles {
  dataFiles(first: 5) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id
        basename
        created
        description
        tags
        dataTypes { name }
        sourceProject { name }
        user { username }
      }
    }
  }
}
`;

const PROJECTS = `# Approved projects, ordered by name, with the data types they register.
query Projects {
  projects(first: 10) {
    totalCount
    edges {
      node {
        databaseId
        name
        leader
        organization
        registeredDataTypes { name }
      }
    }
  }
}
`;

const DATA_TYPES = `# Data types, their hierarchy, and a few public files of each.
query DataTypes {
  dataTypes(first: 5) {
    edges {
      node {
        databaseId
        name
        description
        parent { name }
        children { name }
        dataFiles(first: 3) {
          totalCount
          edges { node { basename user { username } } }
        }
      }
    }
  }
}
`;

const MEMBERS = `# Public members and the files they share.
query PublicMembers {
  users(first: 5) {
    edges {
      node {
        username
        name
        profileUrl
        dataFiles(first: 3) { totalCount edges { node { basename } } }
      }
    }
  }
}
`;

const VIEWER = `# With a token: put your project's master token or a member's OAuth2 token in the
# Headers pane below as {"Authorization": "Bearer <token>"}.
query Viewer {
  viewer {
    tokenKind
    project { name }
    member { projectMemberId }
  }
}
`;

/** Every example the gateway knows; `examplesFor` keeps those the served schema can run. */
export const EXAMPLE_TABS: readonly ExampleTab[] = [
  { query: PUBLIC_FILES },
  { query: PROJECTS },
  { query: DATA_TYPES },
  { query: MEMBERS },
  { query: VIEWER, headers: JSON.stringify({ Authorization: 'Bearer <your token>' }, null, 2) },
];

/** Whether a document is valid against the schema (parses and validates, no execution). */
export function isValidExample(schema: GraphQLSchema, query: string): boolean {
  try {
    return validate(schema, parse(query)).length === 0;
  } catch {
    return false;
  }
}

/**
 * The examples that validate against `schema`, so GraphiQL never opens on a broken query while
 * the schema grows (a test asserts that all of them validate against the real schema).
 */
export function examplesFor(schema: GraphQLSchema): ExampleTab[] {
  return EXAMPLE_TABS.filter((tab) => isValidExample(schema, tab.query));
}
