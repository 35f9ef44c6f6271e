import type { Plugin } from 'graphql-yoga';
import { parseBearer } from '../auth/bearer.js';
import { RequestBudget, withRequestBudget } from '../datasources/resilience/request-budget.js';

/** Each request's budget, for plugins that look at it after the response (the rate limit). */
const budgets = new WeakMap<Request, RequestBudget>();

/** The upstream budget of `request`, if the budget plugin saw it. */
export const budgetOf = (request: Request): RequestBudget | undefined => budgets.get(request);

export interface UpstreamBudgetOptions {
  /** `MAX_UPSTREAM_CALLS_PER_REQUEST` */
  maxCalls: number;
  /** `UPSTREAM_CONCURRENCY_PER_REQUEST` */
  maxInFlight: number;
}

/**
 * Gives every request (`/graphql`, `/subgraph`, uploads) its upstream budget in its async
 * scope: the resilience layer charges each upstream attempt to it, and holds one of its slots
 * before queueing for the shared concurrency cap. Past the budget, calls fail without being
 * sent (BAD_USER_INPUT, `extensions.limit: "upstreamCalls"`).
 */
export function useUpstreamBudget(options: UpstreamBudgetOptions): Plugin {
  return {
    instrumentation: {
      request: ({ request }, wrapped) => {
        const { token } = parseBearer(request.headers.get('authorization'));
        const budget = new RequestBudget(options.maxCalls, options.maxInFlight, token);
        budgets.set(request, budget);
        return withRequestBudget(request, budget, wrapped);
      },
    },
  };
}
