// One watch of the etcd coordinator (etcd-coordinator.ts): a key or a prefix, whose whole state is
// delivered after every change.
//
// A snapshot read at revision R, then an etcd3 watcher from R + 1. etcd3 reconnects the watch
// stream by itself and resumes from the last revision seen; after each reconnection the state is
// read again and delivered. Events at or below the last snapshot's revision are already in it and
// skipped; a snapshot older than the events applied is skipped. A watch etcd cancels (compaction)
// is started over. A snapshot that fails is retried after 50 ms, doubling to 1 s.

import type { IKeyValue, IRangeResponse, Watcher } from 'etcd3';
import type { Closable } from './coordinator.js';
import { text } from './etcd-records.js';

/** A key, or a prefix. */
export interface WatchRange {
  key?: string;
  prefix?: string;
}

/** What a watch needs of its coordinator. */
export interface WatchSource {
  /** A snapshot read (with the coordinator's deadline). */
  snapshot(range: WatchRange): Promise<IRangeResponse>;
  /** An etcd3 watcher from a revision. */
  watcher(range: WatchRange, fromRevision: bigint): Watcher;
}

/**
 * One watch: snapshot at R, watcher from R + 1, a fresh snapshot after every reconnection, all
 * over again after a cancellation. See the header for why events and snapshots are filtered by
 * revision.
 */
export class EtcdWatch implements Closable {
  private readonly state = new Map<string, string>();
  /** Highest revision reflected in `state`, and the revision of the last snapshot applied. */
  private rev = -1n;
  private snapshotRev = -1n;
  private watcher: Watcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delayMs = 50;
  private closed = false;

  constructor(
    private readonly owner: WatchSource,
    private readonly range: WatchRange,
    private readonly emit: (state: Map<string, string>) => void,
    private readonly onClose: (w: EtcdWatch) => void,
  ) {
    void this.start();
  }

  private later(fn: () => void): void {
    if (this.closed) return;
    this.timer = setTimeout(fn, this.delayMs);
    this.delayMs = Math.min(this.delayMs * 2, 1000);
  }

  private async start(): Promise<void> {
    if (this.closed) return;
    let res: IRangeResponse;
    try {
      res = await this.owner.snapshot(this.range);
    } catch {
      return this.later(() => void this.start());
    }
    if (this.closed) return;
    this.delayMs = 50;
    this.applySnapshot(res);
    const w = this.owner.watcher(this.range, BigInt(res.header.revision) + 1n);
    this.watcher = w;
    let resync = false;
    w.on('put', (kv) => this.applyEvent(kv, true));
    w.on('delete', (kv) => this.applyEvent(kv, false));
    w.on('disconnected', () => (resync = true));
    w.on('connected', () => {
      if (!resync) return;
      resync = false;
      void this.resync(w);
    });
    w.on('error', () => {
      // Cancelled by etcd (e.g. its start revision was compacted): start over from a snapshot.
      if (this.watcher !== w) return;
      this.watcher = null;
      w.cancel().catch(() => undefined);
      this.later(() => void this.start());
    });
  }

  /** After a reconnection: read the state again and deliver it (retrying while etcd is away). */
  private async resync(w: Watcher): Promise<void> {
    try {
      const res = await this.owner.snapshot(this.range);
      if (this.watcher === w && !this.closed) this.applySnapshot(res);
    } catch {
      if (this.watcher === w) this.later(() => void this.resync(w));
    }
  }

  private applySnapshot(res: IRangeResponse): void {
    const rev = BigInt(res.header.revision);
    if (rev < this.rev) return; // the events applied meanwhile are newer
    this.rev = rev;
    this.snapshotRev = rev;
    this.state.clear();
    for (const kv of res.kvs) this.state.set(kv.key.toString('utf8'), text(kv));
    this.emit(this.state);
  }

  private applyEvent(kv: IKeyValue, put: boolean): void {
    if (this.closed) return;
    const rev = BigInt(kv.mod_revision);
    if (rev <= this.snapshotRev) return; // already in the snapshot
    if (rev > this.rev) this.rev = rev;
    const key = kv.key.toString('utf8');
    if (put) this.state.set(key, text(kv));
    else this.state.delete(key);
    this.emit(this.state);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
    this.onClose(this);
  }
}
