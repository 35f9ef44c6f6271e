/**
 * The request deadline combines the server adapter's request signal with its own timer. On Node 24
 * the adapter's signal is not a Node-made AbortSignal (`AbortSignal.any` refused it and every
 * request failed), so the deadline and the upstream calls combine signals with listeners of their
 * own, released when the work ends. A signal of our own making stands in for the adapter's here.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { combinedSignal, Deadline } from '../../src/datasources/resilience/deadline.js';

/** An AbortSignal look-alike that Node's brand checks reject, as the adapter's signal is. */
function foreignSignal(): { signal: AbortSignal; abort: (reason: unknown) => void } {
  const target = new EventTarget() as EventTarget & { aborted: boolean; reason: unknown };
  target.aborted = false;
  target.reason = undefined;
  const abort = (reason: unknown): void => {
    target.aborted = true;
    target.reason = reason;
    target.dispatchEvent(new Event('abort'));
  };
  return { signal: target as unknown as AbortSignal, abort };
}

describe('deadline signals', () => {
  // The timer tests run on vitest's fake clock (setTimeout and Date.now), not real pauses.
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows a foreign parent signal through a native one', () => {
    const parent = foreignSignal();
    const deadline = Deadline.after(60_000, parent.signal);
    expect(deadline.signal.aborted).toBe(false);
    parent.abort(new Error('client went away'));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('client went away');
    expect(deadline.expired).toBe(false);
  });

  it('combines a foreign signal with a native one, and lets go of both on release', () => {
    const native = new AbortController();
    const parent = foreignSignal();
    const combined = combinedSignal(parent.signal, native.signal);
    parent.abort('gone');
    expect(combined.signal?.aborted).toBe(true);
    expect(combined.signal?.reason).toBe('gone');
    const later = combinedSignal(foreignSignal().signal, native.signal);
    later.release();
    native.abort('after release');
    expect(later.signal?.aborted).toBe(false);
  });

  it('starts aborted when a source already is', () => {
    const parent = foreignSignal();
    parent.abort('early');
    expect(Deadline.after(60_000, parent.signal).signal.aborted).toBe(true);
    expect(combinedSignal(parent.signal, new AbortController().signal).signal?.aborted).toBe(true);
  });

  it('lets go of its parent and its timer once the request is answered (end)', () => {
    vi.useFakeTimers();
    const parent = foreignSignal();
    const deadline = Deadline.after(5, parent.signal);
    deadline.end();
    parent.abort('late');
    vi.advanceTimersByTime(30);
    // Neither the parent nor the (cleared) timer reaches a finished request's signal.
    expect(deadline.signal.aborted).toBe(false);
  });

  it('still times out while the request runs', () => {
    vi.useFakeTimers();
    const deadline = Deadline.after(5);
    expect(deadline.signal.aborted).toBe(false);
    vi.advanceTimersByTime(5);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.expired).toBe(true);
    expect((deadline.signal.reason as Error).name).toBe('TimeoutError');
  });
});
