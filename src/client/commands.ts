// The public client class: typed methods for the common commands and the generic send(), all
// thin wrappers that build a command record (arguments, slot, reply shape, bulk mode) and hand
// it to the core (cluster-client.ts). Replies are utf8 strings unless a *Buffer method is used;
// a missing key is null; failures reject with the CorralError subclasses of errors.ts.

import { BulkMode } from '../protocol/reply-decoder.js';
import { ClusterCore } from './cluster-client.js';
import type { ClientStats } from './stats.js';
import { Command, Reply, type Arg, type SettlingCommand } from './command.js';
import type { NearCache } from './near-cache.js';
import type { ClientOptions } from './options.js';
import { Split, keyIndex, slotOf, splitKind } from './router.js';
import type { ShardInfo } from './slot-map.js';
import { splitCommand } from './split.js';
import type { WatchState } from './topology-watch.js';

export interface SetOptions {
  /** Expire after this many milliseconds (PX). */
  px?: number;
  /** Expire after this many seconds (EX). */
  ex?: number;
  /** Only set if the key does not exist (NX): resolves null if it did. */
  nx?: boolean;
  /** Only set if the key exists (XX): resolves null if it did not. */
  xx?: boolean;
  /** Resolve with the previous value (GET) instead of 'OK'. */
  get?: boolean;
}

type Keys = Arg[] | [Arg[]];

function flat(keys: Keys): Arg[] {
  return keys.length === 1 && Array.isArray(keys[0]) ? keys[0] : (keys as Arg[]);
}

export class CorralClient {
  private readonly core: ClusterCore;

  constructor(options: ClientOptions) {
    this.core = new ClusterCore(options);
  }

  /** Resolves once the topology is known; commands issued before it wait (offline queue). */
  ready(): Promise<void> {
    return this.core.ready();
  }

  /** 'cluster', 'single' (the seed has no cluster support) or 'unknown' before ready(). */
  get mode(): 'unknown' | 'cluster' | 'single' {
    return this.core.mode;
  }

  /**
   * Counters: topology refreshes, redirects followed, retries, timeouts, reads sent to replicas,
   * replica reads re-sent to the primary, topology pushes that announced a newer epoch.
   */
  get stats(): Readonly<ClientStats> {
    return this.core.stats;
  }

  /**
   * The near-cache (option nearCache), or null: `peek(key)` / `prefetch(key)` are what the
   * cache-aside SDK uses; `size`, `heldBytes` and `linkStates()` are for diagnostics.
   */
  get nearCache(): NearCache | null {
    return this.core.near;
  }

  /** 'host:port' of the primaries commands are routed to. */
  nodes(): string[] {
    return this.core.primaryAddresses();
  }

  /** The shards as the last CLUSTER SLOTS listed them: each primary and its replicas ('host:port'). */
  shards(): ShardInfo[] {
    return this.core.shards();
  }

  /**
   * The topology subscription (option topologyPush): 'off' (disabled, single-node mode, closed),
   * 'connecting', 'active', or 'unsupported' (the server does not know CORRAL WATCHTOPOLOGY);
   * and the last epoch it announced (-1 before the first).
   */
  get topologyWatch(): { state: WatchState; epoch: number } {
    return this.core.watchInfo();
  }

  private one(reply: Reply, mode: BulkMode, args: Arg[], key: Arg): Promise<unknown> {
    return this.core.issue(new Command(args, slotOf(key), reply, mode));
  }

  /** A command whose reply is returned as decoded (strings as utf8). */
  private raw<T>(args: Arg[], key: Arg): Promise<T> {
    return this.core.issue(new Command(args, slotOf(key), Reply.Raw, BulkMode.Utf8)) as Promise<T>;
  }

  // ---- strings ------------------------------------------------------------------------------

  get(key: Arg): Promise<string | null> {
    if (this.core.near !== null) return this.core.near.get(key, BulkMode.Utf8) as Promise<string | null>;
    return this.one(Reply.Raw, BulkMode.Utf8, ['GET', key], key) as Promise<string | null>;
  }

  getBuffer(key: Arg): Promise<Buffer | null> {
    if (this.core.near !== null) return this.core.near.get(key, BulkMode.Buffer) as Promise<Buffer | null>;
    return this.one(Reply.Raw, BulkMode.Buffer, ['GET', key], key) as Promise<Buffer | null>;
  }

  /**
   * CACHE.GET key lease-ms (docs/leases.md): a fresh hit is the value as a Buffer; any other
   * state `[status, value, token, ms]`. The cache-aside SDK's hot path, so a typed method.
   */
  cacheGet(key: Arg, leaseMs: number): Promise<Buffer | unknown[]> {
    return this.one(Reply.Raw, BulkMode.Buffer, ['CACHE.GET', key, leaseMs], key) as Promise<Buffer | unknown[]>;
  }

  /**
   * Sends a self-settling record (SettlingCommand, command.ts), routed by the key at args[1]:
   * the cache-aside SDK's CACHE.GET, whose promise it returns as its own.
   */
  issueSettling(cmd: SettlingCommand): Promise<unknown> {
    cmd.slot = slotOf(cmd.args[1]);
    return this.core.issue(cmd);
  }

  /** SET: 'OK'; null if NX/XX prevented it; with `get`, the previous value (or null). */
  set(key: Arg, value: Arg, opts?: SetOptions): Promise<string | null> {
    const args: Arg[] = ['SET', key, value];
    if (opts !== undefined) {
      if (opts.px !== undefined) args.push('PX', opts.px);
      if (opts.ex !== undefined) args.push('EX', opts.ex);
      if (opts.nx === true) args.push('NX');
      if (opts.xx === true) args.push('XX');
      if (opts.get === true) args.push('GET');
    }
    return this.one(Reply.Raw, BulkMode.Utf8, args, key) as Promise<string | null>;
  }

  /** SET key value IFEQ expected (corral extension): true if the value was replaced. */
  setIfEquals(key: Arg, value: Arg, expected: Arg): Promise<boolean> {
    return this.one(Reply.OkBool, BulkMode.Utf8, ['SET', key, value, 'IFEQ', expected], key) as Promise<boolean>;
  }

  mget(...keys: Keys): Promise<Array<string | null>> {
    return splitCommand(this.core, Split.Values, 'MGET', flat(keys), BulkMode.Utf8) as Promise<Array<string | null>>;
  }

  mgetBuffer(...keys: Keys): Promise<Array<Buffer | null>> {
    return splitCommand(this.core, Split.Values, 'MGET', flat(keys), BulkMode.Buffer) as Promise<Array<Buffer | null>>;
  }

  /** MSET from an object, a Map or [key, value] pairs. Always 'OK' (split per slot in a cluster). */
  mset(entries: Record<string, Arg> | Map<Arg, Arg> | Array<[Arg, Arg]>): Promise<'OK'> {
    const rest: Arg[] = [];
    const pairs = entries instanceof Map || Array.isArray(entries) ? entries : Object.entries(entries);
    for (const [k, v] of pairs) rest.push(k, v);
    return splitCommand(this.core, Split.Pairs, 'MSET', rest, BulkMode.Utf8) as Promise<'OK'>;
  }

  incr(key: Arg): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['INCR', key], key) as Promise<number>;
  }

  incrBy(key: Arg, by: number): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['INCRBY', key, by], key) as Promise<number>;
  }

  decr(key: Arg): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['DECR', key], key) as Promise<number>;
  }

  decrBy(key: Arg, by: number): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['DECRBY', key, by], key) as Promise<number>;
  }

  // ---- keys ---------------------------------------------------------------------------------

  /** Keys deleted (keys may be in any slots). */
  del(...keys: Keys): Promise<number> {
    return splitCommand(this.core, Split.Sum, 'DEL', flat(keys), BulkMode.Utf8) as Promise<number>;
  }

  unlink(...keys: Keys): Promise<number> {
    return splitCommand(this.core, Split.Sum, 'UNLINK', flat(keys), BulkMode.Utf8) as Promise<number>;
  }

  /** How many of the keys exist (a key given twice counts twice, as in Redis). */
  exists(...keys: Keys): Promise<number> {
    return splitCommand(this.core, Split.Sum, 'EXISTS', flat(keys), BulkMode.Utf8) as Promise<number>;
  }

  /** True if the timeout was set. */
  expire(key: Arg, seconds: number): Promise<boolean> {
    return this.one(Reply.IntBool, BulkMode.Utf8, ['EXPIRE', key, seconds], key) as Promise<boolean>;
  }

  pexpire(key: Arg, ms: number): Promise<boolean> {
    return this.one(Reply.IntBool, BulkMode.Utf8, ['PEXPIRE', key, ms], key) as Promise<boolean>;
  }

  /** Seconds to live; -1 without expiry, -2 if the key does not exist. */
  ttl(key: Arg): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['TTL', key], key) as Promise<number>;
  }

  pttl(key: Arg): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['PTTL', key], key) as Promise<number>;
  }

  // ---- hashes -------------------------------------------------------------------------------

  hget(key: Arg, field: Arg): Promise<string | null> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['HGET', key, field], key) as Promise<string | null>;
  }

  /** HSET key field value, or several fields from an object; resolves the number of new fields. */
  hset(key: Arg, fieldOrObject: Arg | Record<string, Arg>, value?: Arg): Promise<number> {
    const args: Arg[] = ['HSET', key];
    if (typeof fieldOrObject === 'object' && !Buffer.isBuffer(fieldOrObject)) {
      for (const [f, v] of Object.entries(fieldOrObject)) args.push(f, v);
    } else {
      if (value === undefined) throw new TypeError('hset(key, field, value): value is missing');
      args.push(fieldOrObject, value);
    }
    return this.one(Reply.Raw, BulkMode.Utf8, args, key) as Promise<number>;
  }

  /** All fields and values as an object ({} if the key does not exist). */
  hgetall(key: Arg): Promise<Record<string, string>> {
    return this.one(Reply.Object, BulkMode.Utf8, ['HGETALL', key], key) as Promise<Record<string, string>>;
  }

  hdel(key: Arg, ...fields: Arg[]): Promise<number> {
    return this.one(Reply.Raw, BulkMode.Utf8, ['HDEL', key, ...fields], key) as Promise<number>;
  }

  hmget(key: Arg, ...fields: Arg[]): Promise<Array<string | null>> {
    return this.raw(['HMGET', key, ...fields], key);
  }

  hexists(key: Arg, field: Arg): Promise<boolean> {
    return this.one(Reply.IntBool, BulkMode.Utf8, ['HEXISTS', key, field], key) as Promise<boolean>;
  }

  hlen(key: Arg): Promise<number> {
    return this.raw(['HLEN', key], key);
  }

  hkeys(key: Arg): Promise<string[]> {
    return this.raw(['HKEYS', key], key);
  }

  hvals(key: Arg): Promise<string[]> {
    return this.raw(['HVALS', key], key);
  }

  hincrBy(key: Arg, field: Arg, by: number): Promise<number> {
    return this.raw(['HINCRBY', key, field, by], key);
  }

  // ---- more strings and keys ----------------------------------------------------------------

  append(key: Arg, value: Arg): Promise<number> {
    return this.raw(['APPEND', key, value], key);
  }

  strlen(key: Arg): Promise<number> {
    return this.raw(['STRLEN', key], key);
  }

  getdel(key: Arg): Promise<string | null> {
    return this.raw(['GETDEL', key], key);
  }

  getrange(key: Arg, start: number, end: number): Promise<string> {
    return this.raw(['GETRANGE', key, start, end], key);
  }

  /** INCRBYFLOAT: the new value as Redis prints it (a string). */
  incrByFloat(key: Arg, by: number): Promise<string> {
    return this.raw(['INCRBYFLOAT', key, by], key);
  }

  /** TYPE: 'string', 'hash', 'list', 'set', 'zset', or 'none'. */
  type(key: Arg): Promise<string> {
    return this.raw(['TYPE', key], key);
  }

  persist(key: Arg): Promise<boolean> {
    return this.one(Reply.IntBool, BulkMode.Utf8, ['PERSIST', key], key) as Promise<boolean>;
  }

  /** RENAME (both keys in one slot in a cluster: use a hash tag). */
  rename(key: Arg, newKey: Arg): Promise<'OK'> {
    return this.raw(['RENAME', key, newKey], key);
  }

  // ---- lists ---------------------------------------------------------------------------------

  /** LPUSH: the list's new length. */
  lpush(key: Arg, ...values: Arg[]): Promise<number> {
    return this.raw(['LPUSH', key, ...values], key);
  }

  rpush(key: Arg, ...values: Arg[]): Promise<number> {
    return this.raw(['RPUSH', key, ...values], key);
  }

  lpop(key: Arg): Promise<string | null> {
    return this.raw(['LPOP', key], key);
  }

  rpop(key: Arg): Promise<string | null> {
    return this.raw(['RPOP', key], key);
  }

  lrange(key: Arg, start: number, stop: number): Promise<string[]> {
    return this.raw(['LRANGE', key, start, stop], key);
  }

  llen(key: Arg): Promise<number> {
    return this.raw(['LLEN', key], key);
  }

  lindex(key: Arg, index: number): Promise<string | null> {
    return this.raw(['LINDEX', key, index], key);
  }

  ltrim(key: Arg, start: number, stop: number): Promise<'OK'> {
    return this.raw(['LTRIM', key, start, stop], key);
  }

  // ---- sets ----------------------------------------------------------------------------------

  /** SADD: how many members were new. */
  sadd(key: Arg, ...members: Arg[]): Promise<number> {
    return this.raw(['SADD', key, ...members], key);
  }

  srem(key: Arg, ...members: Arg[]): Promise<number> {
    return this.raw(['SREM', key, ...members], key);
  }

  smembers(key: Arg): Promise<string[]> {
    return this.raw(['SMEMBERS', key], key);
  }

  sismember(key: Arg, member: Arg): Promise<boolean> {
    return this.one(Reply.IntBool, BulkMode.Utf8, ['SISMEMBER', key, member], key) as Promise<boolean>;
  }

  scard(key: Arg): Promise<number> {
    return this.raw(['SCARD', key], key);
  }

  // ---- sorted sets ---------------------------------------------------------------------------

  /** ZADD key score member [score member ...]: how many members were new. */
  zadd(key: Arg, ...scoreMembers: Arg[]): Promise<number> {
    return this.raw(['ZADD', key, ...scoreMembers], key);
  }

  /** ZINCRBY: the member's new score as Redis prints it. */
  zincrBy(key: Arg, by: number, member: Arg): Promise<string> {
    return this.raw(['ZINCRBY', key, by, member], key);
  }

  /** ZSCORE: the score as Redis prints it, or null. */
  zscore(key: Arg, member: Arg): Promise<string | null> {
    return this.raw(['ZSCORE', key, member], key);
  }

  zrank(key: Arg, member: Arg): Promise<number | null> {
    return this.raw(['ZRANK', key, member], key);
  }

  zrem(key: Arg, ...members: Arg[]): Promise<number> {
    return this.raw(['ZREM', key, ...members], key);
  }

  zcard(key: Arg): Promise<number> {
    return this.raw(['ZCARD', key], key);
  }

  /** ZRANGE by index; with `withScores`, member, score, member, score... as Redis replies. */
  zrange(key: Arg, start: number, stop: number, opts?: { withScores?: boolean }): Promise<string[]> {
    const args: Arg[] = ['ZRANGE', key, start, stop];
    if (opts?.withScores === true) args.push('WITHSCORES');
    return this.raw(args, key);
  }

  // ---- server -------------------------------------------------------------------------------

  /** PING (to any node): 'PONG', or the message echoed. */
  ping(message?: Arg): Promise<string> {
    const args: Arg[] = message === undefined ? ['PING'] : ['PING', message];
    return this.core.issue(new Command(args, -1, Reply.Raw, BulkMode.Utf8)) as Promise<string>;
  }

  /**
   * Any command. Routed by the key position of well-known commands, by the first argument for
   * others, to any node if keyless; MGET/MSET/DEL/EXISTS/UNLINK/TOUCH are split per slot.
   */
  send(command: string, ...args: Arg[]): Promise<unknown> {
    return this.sendAs(BulkMode.Utf8, command, args);
  }

  /** send() with bulk strings as Buffers. */
  sendBuffer(command: string, ...args: Arg[]): Promise<unknown> {
    return this.sendAs(BulkMode.Buffer, command, args);
  }

  private sendAs(mode: BulkMode, command: string, args: Arg[]): Promise<unknown> {
    const lower = command.toLowerCase();
    const split = splitKind(lower);
    if (split !== Split.None) return splitCommand(this.core, split, command, args, mode);
    if (this.core.near !== null && lower === 'get' && args.length === 1) return this.core.near.get(args[0], mode);
    const all: Arg[] = [command, ...args];
    const k = keyIndex(lower, all);
    return this.core.issue(new Command(all, k < 0 ? -1 : slotOf(all[k]), Reply.Raw, mode));
  }

  /** One command on every primary (FLUSHALL, DBSIZE, ...): the replies, one per node. */
  sendToAll(command: string, ...args: Arg[]): Promise<unknown[]> {
    return this.core.toAll([command, ...args], BulkMode.Utf8);
  }

  /** Closes at once: pending commands reject with ClientClosedError. */
  close(): void {
    this.core.close();
  }

  /** Waits for the replies already owed, then closes. */
  quit(): Promise<void> {
    return this.core.quit();
  }
}

export function createClient(options: ClientOptions): CorralClient {
  return new CorralClient(options);
}
