import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';

// What each node type's id is read from (src/schema/refs.ts, member.ts).
const PARENT = { databaseId: 7, projectMemberId: '12345678', username: 'alice' };
const EXPECTED: Record<string, string> = {
  DataFile: '7',
  DataType: '7',
  Project: '7',
  Member: '12345678',
  User: 'alice',
};

describe('node ids', () => {
  it('are answered synchronously, encoded as Relay global ids, for every Node type', () => {
    const nodeTypes = Object.values(schema.getTypeMap()).filter(
      (type): type is GraphQLObjectType =>
        type instanceof GraphQLObjectType && type.getInterfaces().some((i) => i.name === 'Node'),
    );
    expect(nodeTypes.map((type) => type.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const type of nodeTypes) {
      const resolve = type.getFields().id?.resolve;
      const id = resolve?.(PARENT, {}, {}, {} as GraphQLResolveInfo);
      // A promise here makes every node object of a page asynchronous for the executor.
      expect(id).not.toBeInstanceOf(Promise);
      expect(id).toBe(encodeGlobalID(type.name, EXPECTED[type.name] ?? ''));
    }
  });
});
