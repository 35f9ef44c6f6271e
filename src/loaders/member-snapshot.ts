/**
 * One response, one member: every field about a member's files (`fileCount`, each `dataFiles`
 * page with its `totalCount` and `pageInfo`) reports the same file count.
 *
 * A member's record may come from a cached read (a members-list page, an exchange-member page)
 * while a page of its files is fetched now; if files were added or deleted in between, the two
 * disagree. Each response keeps one snapshot per member: every read about the member reports its
 * count and stamp (`read-order.ts`), the freshest wins, and the fields wait until the member's
 * reads in this response have settled before answering. A page built on an older count is then
 * fetched again, straight from upstream.
 */
import type { DirectSharingApi } from '../datasources/direct-sharing-api.js';
import type { MemberRecord } from '../datasources/direct-sharing-wire.js';
import { readOrderOf } from '../datasources/read-order.js';

let turn: Promise<void> | undefined;

/**
 * Resolves on the next turn of the event loop, after every resolver called in this one ran. One
 * timer for all the snapshots that wait in a turn (a page of 100 members had 100 of them).
 */
function nextTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}

export class MemberSnapshot {
  private count: number;
  private order: number;
  private readonly pending = new Set<Promise<unknown>>();
  private final: Promise<number> | undefined;

  constructor(member: MemberRecord) {
    this.count = member.fileCount;
    this.order = readOrderOf(member);
  }

  /** The count the freshest read so far reported. */
  get fileCount(): number {
    return this.count;
  }

  /** A read about the member reported `count`; it wins if it is fresher than the last one. */
  observe(count: number, order: number): void {
    if (order <= this.order) return;
    this.count = count;
    this.order = order;
  }

  /** Keeps `work` (a read of the member's files) among those `settled()` waits for. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const done = (): void => {
      this.pending.delete(work);
    };
    work.then(done, done);
    return work;
  }

  /**
   * The response's count for this member: once every read started for it in this response (by
   * the fields resolved beside each other) has finished. The same answer for every caller.
   */
  settled(): Promise<number> {
    this.final ??= this.drain();
    return this.final;
  }

  private async drain(): Promise<number> {
    for (;;) {
      await nextTurn();
      if (this.pending.size === 0) return this.count;
      await Promise.allSettled([...this.pending]);
    }
  }
}

/** Snapshots per request: the `DirectSharingApi` is built once per request. */
const byRequest = new WeakMap<DirectSharingApi, Map<string, MemberSnapshot>>();

/** The response's snapshot of `member` (created by the first field that asks). */
export function memberSnapshot(api: DirectSharingApi, member: MemberRecord): MemberSnapshot {
  let snapshots = byRequest.get(api);
  if (!snapshots) {
    snapshots = new Map();
    byRequest.set(api, snapshots);
  }
  let snapshot = snapshots.get(member.projectMemberId);
  if (!snapshot) {
    snapshot = new MemberSnapshot(member);
    snapshots.set(member.projectMemberId, snapshot);
  }
  // Another record of the same member (members list vs exchange-member) may be fresher.
  else snapshot.observe(member.fileCount, readOrderOf(member));
  return snapshot;
}
