/**
 * The request's one async scope (src/request-scope.ts): the request id, deadline and upstream
 * budget are slots of one AsyncLocalStorage. A request's plugins fill in the scope opened for
 * that request; anything else (a nested `run`, another request) gets its own, inheriting the rest.
 */
import { describe, expect, it } from 'vitest';
import {
  currentDeadline,
  Deadline,
  withDeadline,
  withRequestDeadline,
} from '../../src/datasources/resilience/deadline.js';
import {
  currentBudget,
  RequestBudget,
  withRequestBudget,
} from '../../src/datasources/resilience/request-budget.js';
import { currentRequestId, withRequestIdFor } from '../../src/request-scope.js';

describe('request scope', () => {
  it('carries the request id, deadline and budget of one request through its promises', async () => {
    const request = {};
    const deadline = Deadline.after(10_000);
    const budget = new RequestBudget(5, 2);
    const seen = await withRequestIdFor(request, 'req-1', () =>
      withRequestDeadline(request, deadline, () =>
        withRequestBudget(request, budget, async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return [currentRequestId(), currentDeadline(), currentBudget()];
        }),
      ),
    );
    deadline.end();
    expect(seen).toEqual(['req-1', deadline, budget]);
    // Nothing of it outside.
    expect([currentRequestId(), currentDeadline(), currentBudget()]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a nested run changes only its own work; the rest is inherited', async () => {
    const request = {};
    const outer = Deadline.after(10_000);
    const inner = Deadline.after(5_000);
    const seen = await withRequestIdFor(request, 'req-2', () =>
      withRequestDeadline(request, outer, async () => {
        const nested = await withDeadline(inner, async () => {
          await Promise.resolve();
          return [currentRequestId(), currentDeadline()];
        });
        return [...nested, currentDeadline()];
      }),
    );
    outer.end();
    inner.end();
    expect(seen).toEqual(['req-2', inner, outer]);
  });

  it('another request does not write into a scope it did not open', async () => {
    const first = {};
    const second = {};
    const a = new RequestBudget(1, 1);
    const b = new RequestBudget(2, 1);
    const seen = await withRequestIdFor(first, 'req-a', () =>
      withRequestBudget(first, a, async () => {
        // e.g. work of `first` that happens to start the handling of `second`
        const other = await withRequestBudget(second, b, async () => {
          await Promise.resolve();
          return [currentRequestId(), currentBudget()];
        });
        return [...other, currentBudget()];
      }),
    );
    expect(seen).toEqual(['req-a', b, a]);
  });
});
