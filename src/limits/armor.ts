import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config/index.js';
import type { LimitName } from './limit-error.js';
import { limitError } from './limit-error.js';

/** Directives per operation; not configurable (no real operation comes close). */
const MAX_DIRECTIVES = 20;

/**
 * Armor's message, e.g. "Syntax Error: Query depth limit of 12 exceeded, found 13.", without the
 * misleading "Syntax Error: " prefix.
 */
const cleanMessage = (err: GraphQLError): string => err.message.replace(/^Syntax Error:\s*/, '');

/**
 * Turns armor's plain rejections into coded errors. In validation (`ctx` set) the error is
 * reported like any validation error; the token limit runs inside the parser (`ctx` null),
 * where throwing is the only way to stop it.
 */
function reject(limit: LimitName, max: number): GraphQLArmorRejectCallback {
  return (ctx: ValidationContext | null, err: GraphQLError) => {
    const found = /found (\d+)/.exec(err.message)?.[1];
    const coded = limitError(limit, cleanMessage(err), {
      max,
      ...(found ? { actual: Number(found) } : {}),
    });
    if (ctx) ctx.reportError(coded);
    else throw coded;
  };
}

/**
 * Depth, alias, directive and token limits through graphql-armor. Its cost limit is not used:
 * it cannot weight connections by page size (see `cost.ts`). Field suggestions ("Did you
 * mean …?") are blocked only when introspection is off: otherwise they reveal nothing new.
 */
export function useArmorLimits(limits: Config['limits']): Plugin {
  const common = { exposeLimits: true, propagateOnRejection: false } as const;
  const armor = EnvelopArmorPlugin({
    maxDepth: {
      n: limits.maxDepth,
      ignoreIntrospection: true,
      ...common,
      onReject: [reject('depth', limits.maxDepth)],
    },
    maxAliases: {
      n: limits.maxAliases,
      ...common,
      onReject: [reject('aliases', limits.maxAliases)],
    },
    maxDirectives: {
      n: MAX_DIRECTIVES,
      ...common,
      onReject: [reject('directives', MAX_DIRECTIVES)],
    },
    maxTokens: { n: limits.maxTokens, ...common, onReject: [reject('tokens', limits.maxTokens)] },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: !limits.introspection },
  });
  return armor as Plugin;
}
