// The SDK's cache commands on the wire: CACHE.GET / CACHE.LEASE / CACHE.SET / CACHE.INVALIDATE
// (docs/leases.md), plain GET/SET for reads and writes that take no lease, and the tag version
// keys. Every command passes through guard(): an optional `cacheTimeout`, and the breaker's
// bookkeeping (infrastructure failures count, error replies do not). No decisions here: which
// command to send when is cache.ts's business.

import { ReplyError } from '../client/errors.js';
import type { Arg } from '../client/command.js';
import type { Breaker } from './breaker.js';
import { CacheTimeoutError } from './errors.js';
import type { CacheClient, Timers } from './options.js';
import { raceTimeout } from './race.js';

/** CACHE.GET's status (docs/leases.md). */
export const enum Status {
  Hit = 0,
  MissWon = 1,
  MissWait = 2,
  StaleWon = 3,
  Stale = 4,
}

/** One CACHE.GET, with the tag versions read in the same turn (null: none asked). */
export interface Read {
  status: Status;
  value: Buffer | null;
  token: Arg | null;
  /** HIT: -1 (the node replies only the value); MISS_WON: lease-ms; MISS_WAIT: ms until that lease expires; STALE*: ms until the copy expires. */
  ms: number;
  tagVersions: Array<string | null> | null;
}

/** The key holding a tag's version counter: its own hash slot, one per tag. */
export function tagKey(prefix: string, tag: string): string {
  return `${prefix}corral:tag:{${tag}}`;
}

/** A failure of the cache itself (not a server error reply about a key). */
export function isInfraFailure(e: unknown): boolean {
  return !(e instanceof ReplyError);
}

/**
 * The status from its text (a simple or bulk string, as a string or a Buffer). The five
 * statuses differ in length but for MISS_WAIT / STALE_WON, told apart by their first letter.
 */
function statusOf(s: unknown): Status {
  let len: number;
  let first: number;
  if (typeof s === 'string') {
    len = s.length;
    first = s.charCodeAt(0);
  } else if (Buffer.isBuffer(s)) {
    len = s.length;
    first = s[0];
  } else {
    throw new ReplyError(`ERR unexpected CACHE.GET status ${String(s)}`);
  }
  switch (len) {
    case 3:
      return Status.Hit;
    case 5:
      return Status.Stale;
    case 8:
      return Status.MissWon;
    case 9:
      if (first === 0x4d /* M */) return Status.MissWait;
      if (first === 0x53 /* S */) return Status.StaleWon;
  }
  throw new ReplyError(`ERR unexpected CACHE.GET status ${String(s)}`);
}

/** A CACHE.GET reply as a Read (throws ReplyError if it is not one). */
export function parseRead(r: unknown): Read {
  // A fresh hit is the bare value (the bytes GET would reply); every other state an array.
  if (Buffer.isBuffer(r)) return { status: Status.Hit, value: r, token: null, ms: -1, tagVersions: null };
  if (!Array.isArray(r) || r.length < 4) throw new ReplyError('ERR unexpected CACHE.GET reply');
  const v = r[1];
  return {
    status: statusOf(r[0]),
    value: v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v)),
    token: (r[2] ?? null) as Arg | null,
    ms: typeof r[3] === 'number' ? r[3] : Number(r[3]),
    tagVersions: null,
  };
}

export class CacheOps {
  constructor(
    private readonly client: CacheClient,
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly timers: Timers,
    private readonly breaker: Breaker,
  ) {}

  /** CACHE.GET key lease-ms, and GET of each tag's version key, all issued in this turn. */
  read(key: string, leaseMs: number, tags: readonly string[]): Promise<Read> {
    const sent = this.client.cacheGet(key, leaseMs);
    // The hit path: one reaction (breaker bookkeeping and parsing together) on the reply.
    const get = this.timeoutMs > 0 ? this.guard('CACHE.GET', sent).then(parseRead) : sent.then(this.okGet, this.fail);
    if (tags.length === 0) return get;
    const versions = this.tagVersions(tags);
    return Promise.all([get, versions]).then(([r, v]) => {
      r.tagVersions = v;
      return r;
    });
  }

  /**
   * A hit served by the client's near-cache (engine.ts checks the envelope is still fresh), with
   * the tag versions (their GETs go through the near-cache too).
   */
  nearRead(value: Buffer, tags: readonly string[]): Read | Promise<Read> {
    const r: Read = { status: Status.Hit, value, token: null, ms: -1, tagVersions: null };
    if (tags.length === 0) return r;
    return this.tagVersions(tags).then((v) => {
      r.tagVersions = v;
      return r;
    });
  }

  /** CACHE.LEASE: the token, or null if another caller holds the lease. */
  lease(key: string, leaseMs: number): Promise<Arg | null> {
    return this.guard('CACHE.LEASE', this.client.sendBuffer('CACHE.LEASE', key, leaseMs)) as Promise<Arg | null>;
  }

  /** CACHE.SET with the lease token: false if the lease was voided or expired. */
  async cacheSet(key: string, value: Buffer, token: Arg, ttl: number, grace: number): Promise<boolean> {
    const args: Arg[] = [key, value, token, ttl];
    if (grace > 0) args.push('GRACE', grace);
    const r = await this.guard('CACHE.SET', this.client.send('CACHE.SET', ...args));
    return r === 1;
  }

  /** CACHE.INVALIDATE [GRACE]: true if the key existed. */
  async invalidate(key: string, grace: number): Promise<boolean> {
    const args: Arg[] = grace > 0 ? [key, 'GRACE', grace] : [key];
    const r = await this.guard('CACHE.INVALIDATE', this.client.send('CACHE.INVALIDATE', ...args));
    return r === 1;
  }

  /** Plain GET (no lease taken). */
  getRaw(key: string): Promise<Buffer | null> {
    return this.guard('GET', this.client.sendBuffer('GET', key)) as Promise<Buffer | null>;
  }

  /** Plain SET PX (voids any lease), then, with a grace, the lease it needs to mark staleness. */
  async setRaw(key: string, value: Buffer, ttl: number, grace: number, leaseMs: number): Promise<void> {
    const set = this.guard('SET', this.client.send('SET', key, value, 'PX', ttl + grace));
    if (grace === 0) {
      await set;
      return;
    }
    // Pipelined behind the SET on the same connection: the SET has voided every other lease, so
    // this one is ours unless another writer got in between (then theirs is the later write).
    const lease = this.lease(key, leaseMs);
    const [, token] = await Promise.all([set, lease]);
    if (token !== null) await this.cacheSet(key, value, token, ttl, grace);
  }

  /** Current version of each tag (null: the tag key does not exist). */
  tagVersions(tags: readonly string[]): Promise<Array<string | null>> {
    const ps: Array<Promise<string | null>> = [];
    for (const t of tags) ps.push(this.guard('GET', this.client.send('GET', tagKey(this.prefix, t))) as Promise<string | null>);
    return Promise.all(ps);
  }

  /**
   * The versions with every missing tag key created first (SET NX of a random 48-bit start,
   * then GET, pipelined in order on the tag's node). A missing tag is never stored as "absent":
   * a tag key lost to eviction would otherwise bring old entries that recorded "absent" back.
   */
  async ensureTagVersions(tags: readonly string[], known: ReadonlyArray<string | null>, random: () => number): Promise<string[]> {
    const out: Array<string | Promise<string | null>> = [];
    for (let i = 0; i < tags.length; i++) {
      const v = known[i];
      if (v !== null && v !== undefined) {
        out.push(v);
        continue;
      }
      const k = tagKey(this.prefix, tags[i]);
      const start = String(Math.floor(random() * 2 ** 48) + 1);
      const set = this.guard('SET', this.client.send('SET', k, start, 'NX'));
      const get = this.guard('GET', this.client.send('GET', k)) as Promise<string | null>;
      out.push(Promise.all([set, get]).then(([, v]) => v));
    }
    const done = await Promise.all(out);
    return done.map((v, i) => {
      if (v === null) throw new ReplyError(`ERR tag key for "${tags[i]}" vanished`);
      return String(v);
    });
  }

  /** INCR every tag's version key. */
  async bumpTags(tags: readonly string[]): Promise<void> {
    await Promise.all(tags.map((t) => this.guard('INCR', this.client.send('INCR', tagKey(this.prefix, t)))));
  }

  private readonly ok = <T>(v: T): T => {
    this.breaker.success();
    return v;
  };

  private readonly okGet = (v: unknown): Read => {
    this.breaker.success();
    return parseRead(v);
  };

  private readonly fail = (e: unknown): never => {
    if (isInfraFailure(e)) this.breaker.failure();
    throw e;
  };

  private guard(name: string, p: Promise<unknown>): Promise<unknown> {
    if (this.timeoutMs > 0) p = this.withTimeout(name, p);
    return p.then(this.ok, this.fail);
  }

  private withTimeout(name: string, p: Promise<unknown>): Promise<unknown> {
    return raceTimeout(this.timers, p, this.timeoutMs, () => {
      throw new CacheTimeoutError(name, this.timeoutMs);
    });
  }

}
