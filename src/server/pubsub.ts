// Pub/sub: which clients listen to which channels, patterns and shard channels, the frames
// SUBSCRIBE & co. and PUBLISH send, and their delivery (Redis 7.0's pubsub.c, frame for frame).
//
// A message is encoded once per PUBLISH and per frame kind (RESP2 `*3`, RESP3 `>3`; pmessage
// per pattern) and the same bytes go to every subscriber of that kind: queued with the
// subscriber's replies for the end of the event-loop turn (one write per connection per turn),
// or, when the subscriber is the publisher itself (RESP3), put in its reply stream before the
// PUBLISH reply, where Redis puts it. A subscriber that does not read is closed by the `pubsub`
// class of client-output-buffer-limit (past the hard limit at once, past the soft limit once it
// has stayed there for the soft seconds), so no subscriber can make the node allocate without
// bound. Channel names and patterns are kept as latin1 strings (one char per byte: binary-safe).

import { globMatch } from '../util/glob.js';
import { keySlotOf } from '../cluster/slot.js';
import type { Topology } from '../cluster/topology.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';
import type { Client } from './client.js';

/** A client's subscriptions (Client.subs, created at its first subscription). */
export class Subscriptions {
  readonly channels = new Set<string>();
  /** In subscription order, as Redis's list (PUNSUBSCRIBE without arguments follows it). */
  readonly patterns = new Set<string>();
  readonly shard = new Set<string>();
  /** When the client's output went past the pubsub soft limit (ms), or 0. */
  softSince = 0;

  /** What SUBSCRIBE and PSUBSCRIBE replies count: channels and patterns. */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  get total(): number {
    return this.channels.size + this.patterns.size + this.shard.size;
  }
}

/** What delivery needs of the node. */
export interface PubSubHost {
  /** Queues a frame for a client's end-of-turn write (after what it was sent before). */
  deliver(client: Client, frame: Buffer): void;
  /** Closes a client that overcame its output buffer limits (not during a delivery loop). */
  closeForOutputLimit(client: Client): void;
  now(): number;
}

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export type ChannelKind = 'channel' | 'shard';

const MESSAGE = Buffer.from('$7\r\nmessage\r\n');
const SMESSAGE = Buffer.from('$8\r\nsmessage\r\n');
const PMESSAGE = Buffer.from('$8\r\npmessage\r\n');

export class PubSub {
  /** Channel -> its subscribers, in subscription order. */
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** client-output-buffer-limit's pubsub class (0: no limit). */
  limit: OutputLimit = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
  private closing: Client[] = [];

  constructor(private readonly host: PubSubHost) {}

  /** SUBSCRIBE / SSUBSCRIBE of one channel; writes the confirmation to `w` (the client's replies). */
  subscribe(client: Client, channel: string, kind: ChannelKind, w: ReplyWriter): void {
    const subs = (client.subs ??= new Subscriptions());
    const mine = kind === 'shard' ? subs.shard : subs.channels;
    if (!mine.has(channel)) {
      mine.add(channel);
      addMember(kind === 'shard' ? this.shardChannels : this.channels, channel, client);
    }
    w.push(3);
    w.bulk(kind === 'shard' ? 'ssubscribe' : 'subscribe');
    w.bulk(channel);
    w.integer(kind === 'shard' ? subs.shard.size : subs.count);
  }

  /** UNSUBSCRIBE / SUNSUBSCRIBE of one channel (notify: write the confirmation). */
  unsubscribe(client: Client, channel: string, kind: ChannelKind, w: ReplyWriter | null): boolean {
    const subs = client.subs;
    const mine = subs === null ? null : kind === 'shard' ? subs.shard : subs.channels;
    const was = mine !== null && mine.delete(channel);
    if (was) removeMember(kind === 'shard' ? this.shardChannels : this.channels, channel, client);
    if (w !== null) writeUnsubscribed(w, kind === 'shard' ? 'sunsubscribe' : 'unsubscribe', channel, subs === null ? 0 : kind === 'shard' ? subs.shard.size : subs.count);
    return was;
  }

  /** UNSUBSCRIBE / SUNSUBSCRIBE without arguments. */
  unsubscribeAll(client: Client, kind: ChannelKind, w: ReplyWriter | null): number {
    const subs = client.subs;
    let n = 0;
    if (subs !== null) for (const ch of [...(kind === 'shard' ? subs.shard : subs.channels)]) if (this.unsubscribe(client, ch, kind, w)) n++;
    if (w !== null && n === 0) writeUnsubscribed(w, kind === 'shard' ? 'sunsubscribe' : 'unsubscribe', null, subs === null ? 0 : kind === 'shard' ? subs.shard.size : subs.count);
    return n;
  }

  psubscribe(client: Client, pattern: string, w: ReplyWriter): void {
    const subs = (client.subs ??= new Subscriptions());
    if (!subs.patterns.has(pattern)) {
      subs.patterns.add(pattern);
      addMember(this.patterns, pattern, client);
    }
    w.push(3);
    w.bulk('psubscribe');
    w.bulk(pattern);
    w.integer(subs.count);
  }

  punsubscribe(client: Client, pattern: string, w: ReplyWriter | null): boolean {
    const subs = client.subs;
    const was = subs !== null && subs.patterns.delete(pattern);
    if (was) removeMember(this.patterns, pattern, client);
    if (w !== null) writeUnsubscribed(w, 'punsubscribe', pattern, subs === null ? 0 : subs.count);
    return was;
  }

  punsubscribeAll(client: Client, w: ReplyWriter | null): number {
    const subs = client.subs;
    let n = 0;
    if (subs !== null) for (const p of [...subs.patterns]) if (this.punsubscribe(client, p, w)) n++;
    if (w !== null && n === 0) writeUnsubscribed(w, 'punsubscribe', null, subs === null ? 0 : subs.count);
    return n;
  }

  /** A client closed or was RESET: all its subscriptions go, without notifications. */
  dropClient(client: Client): void {
    const subs = client.subs;
    if (subs === null) return;
    for (const ch of subs.channels) removeMember(this.channels, ch, client);
    for (const p of subs.patterns) removeMember(this.patterns, p, client);
    for (const ch of subs.shard) removeMember(this.shardChannels, ch, client);
    client.subs = null;
  }

  /**
   * Delivers a message to this node's subscribers of `channel` (and, unless sharded, of the
   * patterns it matches); returns how many received it. `self`/`w`: the publishing client and
   * its reply writer (its own copy goes there, before its reply).
   */
  publish(channel: Buffer, message: Buffer, shard: boolean, self: Client | null, w: ReplyWriter): number {
    const name = channel.toString('latin1');
    let receivers = 0;
    const direct = (shard ? this.shardChannels : this.channels).get(name);
    if (direct !== undefined) {
      const frames = new Frames(shard ? SMESSAGE : MESSAGE, null, channel, message);
      for (const c of direct) {
        this.send(c, frames.for(c.resp), self, w);
        receivers++;
      }
    }
    if (!shard && this.patterns.size !== 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, name)) continue;
        const frames = new Frames(PMESSAGE, Buffer.from(pattern, 'latin1'), channel, message);
        for (const c of clients) {
          this.send(c, frames.for(c.resp), self, w);
          receivers++;
        }
      }
    }
    if (this.closing.length !== 0) {
      const closing = this.closing;
      this.closing = [];
      for (const c of closing) this.host.closeForOutputLimit(c);
    }
    return receivers;
  }

  /**
   * A topology was applied: clients subscribed to shard channels whose slot this node's shard
   * no longer serves are unsubscribed, with a sunsubscribe message each (Redis, on losing a slot).
   */
  keepShardChannels(t: Topology, myShard: number): void {
    if (this.shardChannels.size === 0) return;
    for (const [channel, clients] of [...this.shardChannels]) {
      const b = Buffer.from(channel, 'latin1');
      if (t.slotShard[keySlotOf(b, 0, b.length)] === myShard) continue;
      this.shardChannels.delete(channel);
      for (const c of clients) {
        c.subs?.shard.delete(channel);
        const head = c.resp === 3 ? '>3' : '*3';
        const count = c.subs?.shard.size ?? 0;
        this.host.deliver(c, Buffer.concat([Buffer.from(`${head}\r\n$11\r\nsunsubscribe\r\n`), bulkHeader(b.length), b, Buffer.from(`\r\n:${count}\r\n`)]));
      }
    }
  }

  private send(c: Client, frame: Buffer, self: Client | null, w: ReplyWriter): void {
    if (c === self) {
      w.raw(frame);
      return;
    }
    if (c.closed) return;
    this.host.deliver(c, frame);
    const limit = this.limit;
    const used = c.pendingOutput;
    if (limit.hard > 0 && used > limit.hard) {
      this.closing.push(c);
      return;
    }
    const subs = c.subs;
    if (subs === null) return;
    if (limit.soft > 0 && used > limit.soft) {
      const now = this.host.now();
      if (subs.softSince === 0) subs.softSince = now;
      else if (now - subs.softSince >= limit.softSeconds * 1000) this.closing.push(c);
    } else {
      subs.softSince = 0;
    }
  }
}

/** The frames of one message, built when first needed for each protocol version. */
class Frames {
  private resp2: Buffer | null = null;
  private resp3: Buffer | null = null;

  constructor(
    private readonly kind: Buffer,
    private readonly pattern: Buffer | null,
    private readonly channel: Buffer,
    private readonly message: Buffer,
  ) {}

  for(resp: number): Buffer {
    if (resp === 3) return (this.resp3 ??= this.build(62));
    return (this.resp2 ??= this.build(42));
  }

  /** One buffer, written in place (small frames come from Buffer's pool: no concatenation). */
  private build(type: number): Buffer {
    const pattern = this.pattern;
    const channel = this.channel;
    const message = this.message;
    const kind = this.kind;
    let len = 4 + kind.length + bulkLength(channel.length) + bulkLength(message.length);
    if (pattern !== null) len += bulkLength(pattern.length);
    const out = Buffer.allocUnsafe(len);
    out[0] = type;
    out[1] = pattern === null ? 51 /* '3' */ : 52 /* '4' */;
    out[2] = 13;
    out[3] = 10;
    let p = 4 + kind.copy(out, 4);
    if (pattern !== null) p = writeBulk(out, p, pattern);
    p = writeBulk(out, p, channel);
    writeBulk(out, p, message);
    return out;
  }
}

/** Bytes of a bulk string of n bytes: $n CRLF data CRLF. */
function bulkLength(n: number): number {
  return 1 + String(n).length + 2 + n + 2;
}

function writeBulk(out: Buffer, p: number, data: Buffer): number {
  out[p++] = 36; // '$'
  p += out.write(String(data.length), p, 'latin1');
  out[p++] = 13;
  out[p++] = 10;
  p += data.copy(out, p);
  out[p++] = 13;
  out[p++] = 10;
  return p;
}


function bulkHeader(n: number): Buffer {
  return Buffer.from(`$${n}\r\n`, 'latin1');
}

function writeUnsubscribed(w: ReplyWriter, kind: string, channel: string | null, count: number): void {
  w.push(3);
  w.bulk(kind);
  if (channel === null) w.nil();
  else w.bulk(channel);
  w.integer(count);
}

function addMember(map: Map<string, Set<Client>>, name: string, client: Client): void {
  let set = map.get(name);
  if (set === undefined) map.set(name, (set = new Set()));
  set.add(client);
}

function removeMember(map: Map<string, Set<Client>>, name: string, client: Client): void {
  const set = map.get(name);
  if (set === undefined) return;
  set.delete(client);
  if (set.size === 0) map.delete(name);
}
