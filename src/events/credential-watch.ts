import { ErrorCode, GatewayError } from '../errors.js';
import type { DeauthorizationEventStore } from './deauthorization-event.js';

/** Timers, injectable so tests drive the interval by hand instead of waiting. */
export interface WatchTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: WatchTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface CredentialWatchOptions {
  /**
   * Proves the subscriber's credentials again, without any cache; rejects with an UNAUTHENTICATED
   * or FORBIDDEN GatewayError once they no longer hold. Other failures (the upstream is down) do
   * not end the subscription: the next check tries again.
   */
  check(signal: AbortSignal): Promise<void>;
  intervalMs: number;
  /** With a member's token: re-check at once when a deauthorization event names that member. */
  member?: { store: DeauthorizationEventStore; projectMemberId: string } | null;
  timers?: WatchTimers;
  /** A check that failed for another reason (logged by the caller; the watch goes on). */
  onCheckError?: (err: unknown) => void;
}

export interface CredentialWatch {
  /** Runs a check now (also what the interval and member events do). */
  checkNow(): Promise<void>;
  stop(): void;
}

/** Errors that say the credentials are gone, as opposed to the upstream being unreachable. */
function revokes(err: unknown): err is GatewayError {
  return (
    err instanceof GatewayError &&
    (err.code === ErrorCode.UNAUTHENTICATED || err.code === ErrorCode.FORBIDDEN)
  );
}

/**
 * Re-proves a live subscription's credentials every `intervalMs`, and at once on a
 * deauthorization event for the subscribing member, and calls `onRevoked` (once) with the coded
 * error when they no longer hold. One check at a time per subscription; stopping aborts it.
 */
export async function watchCredentials(
  onRevoked: (error: GatewayError) => void,
  options: CredentialWatchOptions,
): Promise<CredentialWatch> {
  const timers = options.timers ?? realTimers;
  const controller = new AbortController();
  let running: Promise<void> | null = null;
  let stopped = false;
  let unsubscribe: (() => void) | null = null;

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    timers.clearInterval(handle);
    unsubscribe?.();
    controller.abort();
  };
  const runCheck = async (): Promise<void> => {
    try {
      await options.check(controller.signal);
    } catch (err) {
      if (stopped) return;
      if (revokes(err)) {
        stop();
        onRevoked(err);
      } else {
        options.onCheckError?.(err);
      }
    }
  };
  const checkNow = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= runCheck().finally(() => {
      running = null;
    });
    return running;
  };

  const handle = timers.setInterval(() => void checkNow(), options.intervalMs);
  const member = options.member;
  if (member) {
    try {
      unsubscribe = await member.store.subscribe((event) => {
        if (event.projectMemberId === member.projectMemberId) void checkNow();
      });
      if (stopped) unsubscribe();
    } catch (err) {
      stop();
      throw err;
    }
  }
  return { checkNow, stop };
}
