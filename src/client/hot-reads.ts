// Replica reads for hot keys only (option hotReadsFrom: 'replica' | 'nearest', with readFrom
// 'primary'): the keys the nodes report hot are read from any node of their shard (the replicas
// round-robin, or the nearest node), every other read stays on the primary. A flash sale's one
// product then spreads over its shard's nodes while the rest of the keyspace keeps reading its
// writes at once.
//
// Which keys are hot: every pollMs (1 s) each primary is asked `CORRAL HOTKEYS COUNT 32`
// (server/commands/hotkeys.ts: the node's heavy hitters over the last 3-6 s), and the keys it
// reports at hotReadsMinRate operations per second or more (default 1000) are hot; the union of
// the answers is the hot set until the next answer from that primary replaces its part. (The
// node lists its top keys whatever their rate: the threshold keeps a quiet node's top keys,
// which are not hot, on their primary.) A node that
// does not know the command (redis-server) or fails to answer contributes nothing, so its keys
// stay on the primary. A key is hot a second or so after its rate rises, and stays hot until the
// node stops listing it.
//
// What a hot-key read promises: what readFrom 'replica' promises (options.ts), for those keys
// only: with readYourWrites (the default) a read sees at least every write this client saw
// acknowledged on that shard before it; another client's latest write may be missing for the
// replication lag (docs/replication.md).

import { BulkMode } from '../protocol/reply-decoder.js';
import type { NodeEntry } from './nodes.js';

const HOTKEYS_ARGS = ['CORRAL', 'HOTKEYS', 'COUNT', '32'];

/** What the hot set needs of the client. */
export interface HotSetHost {
  /** The primaries of the current slot map. */
  primaries(): readonly NodeEntry[];
  ask(entry: NodeEntry, args: string[], mode: BulkMode): Promise<unknown>;
  isOpen(): boolean;
}

export class HotKeySet {
  /** Each primary's last answer, by its address. */
  private readonly byNode = new Map<string, Set<string>>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly host: HotSetHost,
    /** The lowest reported rate (operations per second) that makes a key hot. */
    private readonly minRate = 1000,
    private readonly pollMs = 1000,
  ) {}

  /** Whether `key` is hot on any node (a string or a Buffer key, as in a command's arguments). */
  has(key: unknown): boolean {
    if (this.byNode.size === 0) return false;
    const k = typeof key === 'string' ? key : Buffer.isBuffer(key) ? key.toString('latin1') : String(key);
    for (const set of this.byNode.values()) if (set.has(k)) return true;
    return false;
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref?.();
  }

  private poll(): void {
    if (!this.host.isOpen()) return;
    const live = new Set<string>();
    for (const entry of this.host.primaries()) {
      live.add(entry.addr.key);
      if (entry.down) continue;
      this.host.ask(entry, HOTKEYS_ARGS, BulkMode.Latin1).then(
        (reply) => this.byNode.set(entry.addr.key, keysOf(reply, this.minRate)),
        () => this.byNode.delete(entry.addr.key),
      );
    }
    // A node that is no longer a primary: its keys are no longer reported hot by it.
    for (const key of this.byNode.keys()) if (!live.has(key)) this.byNode.delete(key);
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.byNode.clear();
  }
}

/** The keys of a CORRAL HOTKEYS reply (flat [key, rate, key, rate...] or [[key, rate], ...]) at `minRate` or more. */
export function keysOf(reply: unknown, minRate = 0): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(reply)) return out;
  const nested = reply.length > 0 && Array.isArray(reply[0]);
  for (let i = 0; i < reply.length; i += nested ? 1 : 2) {
    const k = nested ? (reply[i] as unknown[])[0] : reply[i];
    const rate = Number(nested ? (reply[i] as unknown[])[1] : reply[i + 1]);
    if (typeof k === 'string' && rate >= minRate) out.add(k);
  }
  return out;
}
