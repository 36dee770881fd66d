// The dashboard's collector: polls a cluster once a second over one persistent control link per
// node (control/control-link.ts: reconnects by itself, TLS and AUTH as the LinkSecurity says):
// CORRAL TOPOLOGY and CORRAL CONTROL from the first node that answers (the entry node, then every
// node of the last document, so the dashboard survives the entry node's death), INFO ALL from
// every node, CORRAL HOTKEYS from the primaries, and CORRAL RESHARD STATUS from the controller
// while a plan runs. Each poll becomes a snapshot (model.ts), a chart point and timeline events
// (events.ts); the last HISTORY_POINTS points and HISTORY_EVENTS events are kept for pages that
// connect later. Polls never overlap: the next starts a second after the previous one started,
// or at once when it took longer.

import { ControlLink } from '../control/control-link.js';
import { fieldPairs } from '../control/node-link.js';
import { parseTopology, type TopologyDoc } from '../cluster/topology.js';
import type { ReplyValue } from '../protocol/reply-parser.js';
import type { LinkSecurity } from '../util/link-security.js';
import { buildSnapshot, countersOf, infoFields, pointOf, type ClusterSnapshot, type HotKey, type NodeCounters, type RawPoll, type SeriesPoint } from './model.js';
import { diffSnapshots, type TimelineEvent } from './events.js';

/** Ten minutes of one-second points. */
export const HISTORY_POINTS = 600;
export const HISTORY_EVENTS = 200;
const HOT_KEYS = 10;
const CALL_TIMEOUT_MS = 900;

export interface CollectorOptions {
  /** host:port of any node of the cluster. */
  entry: string;
  security?: LinkSecurity;
  intervalMs?: number;
}

/** What a poll hands to listeners: the new snapshot, its chart point, and what changed. */
export interface Tick {
  state: ClusterSnapshot;
  point: SeriesPoint;
  events: TimelineEvent[];
}

function splitAddress(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not host:port: ${addr}`);
  return [addr.slice(0, i), port];
}

function errorOf(r: ReplyValue): string | null {
  return typeof r === 'object' && r !== null && 'error' in r ? (r as { error: string }).error : null;
}

function textOf(r: ReplyValue): string {
  if (typeof r === 'string') return r;
  if (typeof r === 'object' && r !== null && 'verbatim' in r) return (r as { verbatim: string }).verbatim;
  return '';
}

export class Collector {
  readonly points: SeriesPoint[] = [];
  readonly events: TimelineEvent[] = [];
  state: ClusterSnapshot | null = null;
  private readonly links = new Map<string, ControlLink>();
  private readonly listeners = new Set<(t: Tick) => void>();
  private last: RawPoll | null = null;
  private good: ClusterSnapshot | null = null;
  private knownNodes: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly opts: CollectorOptions) {
    splitAddress(opts.entry);
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  onTick(fn: (t: Tick) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    const loop = async (): Promise<void> => {
      const began = Date.now();
      await this.pollOnce().catch(() => undefined);
      if (this.stopped) return;
      this.timer = setTimeout(() => void loop(), Math.max(0, this.intervalMs - (Date.now() - began)));
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const l of this.links.values()) l.close();
    this.links.clear();
  }

  private link(address: string): ControlLink {
    // A poll still running when stop() came must not open links again (they would keep the
    // process alive).
    if (this.stopped) throw new Error('collector stopped');
    let l = this.links.get(address);
    if (l === undefined) {
      const [host, port] = splitAddress(address);
      l = new ControlLink(host, port, this.opts.security);
      this.links.set(address, l);
    }
    return l;
  }

  private async call(address: string, args: string[]): Promise<ReplyValue> {
    return this.link(address).call(args, CALL_TIMEOUT_MS);
  }

  /** The topology and the controller, from the first node that answers. */
  private async topology(): Promise<{ doc: TopologyDoc; controller: string } | { error: string }> {
    const candidates = [...new Set([this.opts.entry, ...this.knownNodes])];
    let error = 'no node answered';
    for (const address of candidates) {
      try {
        const r = await this.call(address, ['CORRAL', 'TOPOLOGY']);
        const err = errorOf(r);
        if (err !== null) {
          error = `${address}: ${err}`;
          continue;
        }
        if (r === null) {
          error = `${address} has no topology yet`;
          continue;
        }
        const doc = parseTopology(textOf(r));
        const control = fieldPairs(await this.call(address, ['CORRAL', 'CONTROL']).catch(() => null));
        return { doc, controller: control.get('controller') ?? '' };
      } catch (err) {
        error = (err as Error).message;
      }
    }
    return { error };
  }

  /** One poll: gathers, builds the snapshot, records and announces it. */
  async pollOnce(): Promise<Tick> {
    const at = Date.now();
    const top = await this.topology();
    const raw: RawPoll = { at, doc: null, error: null, controller: '', info: new Map(), hotKeys: [], reshard: null };
    if ('error' in top) raw.error = top.error;
    else {
      raw.doc = top.doc;
      raw.controller = top.controller;
      const doc = top.doc;
      const addressOf = new Map(doc.nodes.map((n) => [n.id, `${n.host}:${n.port}`]));
      const all: Array<{ address: string; shard: string; primary: boolean }> = [];
      for (const s of doc.shards) {
        for (const id of [s.primary, ...s.replicas]) {
          const address = addressOf.get(id);
          if (address !== undefined) all.push({ address, shard: s.id, primary: id === s.primary });
        }
      }
      this.knownNodes = all.map((n) => n.address);
      await Promise.all([
        ...all.map(async (n) => {
          const counters = await this.infoOf(n.address);
          if (counters !== null) raw.info.set(n.address, counters);
          if (n.primary && counters !== null) raw.hotKeys.push(...(await this.hotKeysOf(n.address, n.shard)));
        }),
        (async () => {
          if (doc.plan !== undefined && raw.controller !== '') {
            const r = await this.call(raw.controller, ['CORRAL', 'RESHARD', 'STATUS']).catch(() => null);
            if (Array.isArray(r)) raw.reshard = fieldPairs(r);
          }
        })(),
      ]);
      raw.hotKeys.sort((a, b) => b.opsPerSec - a.opsPerSec || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      raw.hotKeys.splice(HOT_KEYS);
      // Links to nodes no longer in the document are closed (removed shards).
      for (const [address, l] of this.links) {
        if (address !== this.opts.entry && !this.knownNodes.includes(address)) {
          l.close();
          this.links.delete(address);
        }
      }
    }
    return this.record(raw);
  }

  private async infoOf(address: string): Promise<NodeCounters | null> {
    try {
      const r = await this.call(address, ['INFO', 'ALL']);
      if (errorOf(r) !== null) return null;
      return countersOf(infoFields(textOf(r)));
    } catch {
      return null;
    }
  }

  private async hotKeysOf(address: string, shard: string): Promise<HotKey[]> {
    try {
      const r = await this.call(address, ['CORRAL', 'HOTKEYS', 'COUNT', String(HOT_KEYS)]);
      const out: HotKey[] = [];
      if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) out.push({ key: String(r[i]), node: address, shard, opsPerSec: Math.round(Number(r[i + 1])) });
      return out;
    } catch {
      return [];
    }
  }

  /** Turns a poll into a snapshot against the previous one, keeps the history, tells listeners. */
  record(raw: RawPoll): Tick {
    // Rates need the previous reading of the same nodes: a poll that read no topology keeps the
    // last good one as the base for the next.
    const state = buildSnapshot(raw, this.last);
    // Reachability of the whole cluster against the previous snapshot; everything else against
    // the last snapshot that read a topology, so that nothing is lost over a gap.
    const events: TimelineEvent[] = [];
    if (this.state !== null && (this.state.error !== null || state.error !== null)) events.push(...diffSnapshots(this.state, state));
    if (this.good !== null && state.error === null) events.push(...diffSnapshots(this.good, state));
    if (raw.doc !== null) {
      this.last = raw;
      this.good = state;
    }
    const point = pointOf(state);
    this.state = state;
    this.points.push(point);
    if (this.points.length > HISTORY_POINTS) this.points.splice(0, this.points.length - HISTORY_POINTS);
    this.events.push(...events);
    if (this.events.length > HISTORY_EVENTS) this.events.splice(0, this.events.length - HISTORY_EVENTS);
    const tick = { state, point, events };
    for (const fn of this.listeners) {
      try {
        fn(tick);
      } catch {
        /* a listener's failure is its own */
      }
    }
    return tick;
  }
}
