// The etcd backend of Coordinator (coordinator.ts), for clusters spanning machines, over the etcd3
// client. etcd does the consensus; this file maps the interface onto its keys, transactions,
// leases and watches, and keeps a stopped etcd from hanging callers.
//
// Keys, per cluster name:
//   /corral/<name>/topology        the document's JSON
//   /corral/<name>/members/<id>    a member's JSON, attached to its lease
//   /corral/<name>/controller      the controller's member JSON plus {"lease": "<id>"}, attached
//                                  to that lease
//
// Mapping:
//   casTopology   read the key; unless its epoch is the expected one (or expected 0 and no key),
//                 false. Else a txn: if mod_revision == the one read (create_revision == 0 when
//                 none) then put, else get. A txn whose reply was lost may be re-sent by the
//                 client's retry and then fail its compare: the else-branch read tells whether
//                 the stored document is ours, which counts as written.
//   grantLease    LeaseGrant of ceil(ttl / 1 s) seconds (at least 1; etcd raises it to its
//                 minimum, about 1.5 election timeouts, and says so: ttlMs is what it granted).
//   keep-alive    one LeaseKeepAlive stream per lease, a request every ttl/3 (etcd-lease.ts).
//   register      put members/<id> with the lease.
//   campaign      txn: if create_revision(controller) == 0 then put it with the lease, else get
//                 it; true also when the record found is this candidate's (same id and runId).
//   evict         get; if the record is `expected`: txn delete if value == the value read, then
//                 revoke the lease named in it (its member record goes with it).
//   resign        get; if held by the candidate: txn delete if mod_revision == the one read.
//   watches       a snapshot read, then an etcd3 watcher from the revision after it, read again
//                 after each reconnection, started over when etcd cancels it (etcd-watch.ts).
//   probe         a TCP connect to every endpoint: 'refused' if all refuse, 'unreachable' if none
//                 connects otherwise; if one connects, 'up' only if a read answers in time.
//
// Deadlines: every unary call has a gRPC deadline of callTimeoutMs, and every public method a
// timer of its own on top, so a stopped or partitioned etcd surfaces as a rejected promise
// (E_COORDINATOR_UNAVAILABLE at once when connections are refused, E_COORDINATOR_TIMEOUT when
// nothing answers). etcd3's default fault handling (a 5 s circuit breaker per host, watch
// reconnects backing off to 30 s) is replaced: calls go through each host in turn once, and watch
// streams reconnect after 50 ms doubling to 1 s, so a restarted etcd is used again at once.

import { performance } from 'node:perf_hooks';
import { Etcd3, EtcdLeaseInvalidError, GRPCDeadlineExceededError, ClientClosedError, isRecoverableError } from 'etcd3';
import type { IOptions, IKeyValue, IRangeResponse, Watcher } from 'etcd3';
import { parseTopology, type TopologyDoc } from '../cluster/topology.js';
import type { Closable, Coordinator, CoordinatorLease, MemberRecord, Reachability } from './coordinator.js';
import { CoordinatorError, memberJson, tcpReach } from './coordinator-shared.js';
import { EtcdLease } from './etcd-lease.js';
import { controllerFromJson, controllerMember, membersOf, sameMember, text } from './etcd-records.js';
import { EtcdWatch, type WatchRange, type WatchSource } from './etcd-watch.js';

type FaultHandling = NonNullable<IOptions['faultHandling']>;

/** Runs the call once on the host etcd3 picked (no circuit breaker). */
const passThrough = {
  execute: <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal) => Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
};

/** Tries a call on up to `attempts` hosts in turn, again only after an error worth retrying. */
function retryAcrossHosts(attempts: number) {
  return {
    async execute<T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
      let last: unknown;
      for (let i = 0; i < attempts; i++) {
        try {
          return await fn({ signal: signal ?? new AbortController().signal });
        } catch (err) {
          if (!(err instanceof Error) || !isRecoverableError(err)) throw err;
          last = err;
        }
      }
      throw last;
    },
  };
}

/** Watch stream reconnects: 50 ms, doubling, at most 1 s. */
class CappedBackoff {
  constructor(private readonly n = 0) {}
  get duration(): number {
    return Math.min(1000, 25 * 2 ** this.n);
  }
  next(): CappedBackoff {
    return new CappedBackoff(this.n + 1);
  }
}

export interface EtcdCoordinatorOptions {
  /** Deadline of each call (default 2000 ms). */
  callTimeoutMs?: number;
  /** An etcd user to authenticate as (etcd's password auth); none by default. */
  auth?: { username: string; password: string };
}

/**
 * A `coordinator` setting's etcd endpoints (comma-separated URLs) and the credentials they carry:
 * http://user:password@host:2379 (percent-encoded, as in any URL) authenticates as that etcd
 * user. The credentials are taken out of the endpoints, so they appear in no description or log.
 */
export function etcdEndpoints(spec: string): { endpoints: string[]; auth?: { username: string; password: string } } {
  let auth: { username: string; password: string } | undefined;
  const endpoints = spec.split(',').map((s) => s.trim()).filter((s) => s !== '').map((e) => {
    let url: URL;
    try {
      url = new URL(e);
    } catch {
      return e;
    }
    if (url.username === '' && url.password === '') return e;
    auth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    url.username = '';
    url.password = '';
    return url.origin;
  });
  return auth === undefined ? { endpoints } : { endpoints, auth };
}

export class EtcdCoordinator implements Coordinator, WatchSource {
  readonly description: string;
  private readonly client: Etcd3;
  private readonly timeoutMs: number;
  private readonly topologyKey: string;
  private readonly membersPrefix: string;
  private readonly controllerKey: string;
  private readonly closables = new Set<Closable>();
  private closed = false;

  constructor(
    readonly endpoints: string[],
    readonly clusterName: string,
    options: EtcdCoordinatorOptions = {},
  ) {
    if (endpoints.length === 0) throw new RangeError('etcd needs at least one endpoint');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(clusterName)) throw new RangeError(`bad cluster name ${JSON.stringify(clusterName)}`);
    this.timeoutMs = options.callTimeoutMs ?? 2000;
    this.description = `etcd ${endpoints.join(',')} cluster ${clusterName}`;
    const base = `/corral/${clusterName}/`;
    this.topologyKey = `${base}topology`;
    this.membersPrefix = `${base}members/`;
    this.controllerKey = `${base}controller`;
    this.client = new Etcd3({
      hosts: endpoints,
      auth: options.auth,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + this.timeoutMs }),
      faultHandling: {
        host: () => passThrough as unknown as ReturnType<NonNullable<FaultHandling['host']>>,
        global: retryAcrossHosts(endpoints.length + 1) as unknown as FaultHandling['global'],
        watchBackoff: new CappedBackoff(0) as unknown as FaultHandling['watchBackoff'],
      },
    });
  }

  /** Runs one operation under the method's own deadline, with etcd3's errors made typed. */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new CoordinatorError('E_COORDINATOR_CLOSED', `${this.description}: closed`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CoordinatorError('E_COORDINATOR_TIMEOUT', `${this.description}: ${what}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs + 250);
    });
    try {
      return await Promise.race([op(), deadline]);
    } catch (err) {
      throw this.typed(what, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private typed(what: string, err: unknown): CoordinatorError {
    if (err instanceof CoordinatorError) return err;
    const e = err instanceof Error ? err : new Error(String(err));
    const message = `${this.description}: ${what}: ${e.message}`;
    if (e instanceof EtcdLeaseInvalidError) return new CoordinatorError('E_LEASE_LOST', message, { cause: e });
    if (e instanceof GRPCDeadlineExceededError) return new CoordinatorError('E_COORDINATOR_TIMEOUT', message, { cause: e });
    if (e instanceof ClientClosedError) return new CoordinatorError('E_COORDINATOR_CLOSED', message, { cause: e });
    if (isRecoverableError(e)) return new CoordinatorError('E_COORDINATOR_UNAVAILABLE', message, { cause: e });
    return new CoordinatorError('E_COORDINATOR_REPLY', message, { cause: e });
  }

  /** A call made under a lease: etcd's "lease not found" also tells the lease it is lost. */
  private async underLease<T>(what: string, lease: CoordinatorLease, op: () => Promise<T>): Promise<T> {
    try {
      return await this.run(what, op);
    } catch (err) {
      if ((err as CoordinatorError).code === 'E_LEASE_LOST' && lease instanceof EtcdLease) lease.lost();
      throw err;
    }
  }

  private get(key: string): Promise<IKeyValue | undefined> {
    return this.client
      .get(key)
      .exec()
      .then((r) => r.kvs[0]);
  }

  async readTopology(): Promise<TopologyDoc | null> {
    const kv = await this.run('read topology', () => this.get(this.topologyKey));
    return kv === undefined ? null : parseTopology(text(kv));
  }

  async casTopology(expectedEpoch: number, doc: TopologyDoc): Promise<boolean> {
    if (!(doc.epoch > expectedEpoch)) return false;
    const json = JSON.stringify(doc);
    return this.run('write topology', async () => {
      const kv = await this.get(this.topologyKey);
      if (kv === undefined ? expectedEpoch !== 0 : parseTopology(text(kv)).epoch !== expectedEpoch) return false;
      const key = this.topologyKey;
      const res = await (kv === undefined ? this.client.if(key, 'Create', '==', 0) : this.client.if(key, 'Mod', '==', kv.mod_revision))
        .then(this.client.put(key).value(json))
        .else(this.client.get(key))
        .commit();
      if (res.succeeded) return true;
      const now = res.responses[0]?.response_range?.kvs[0];
      return now !== undefined && text(now) === json;
    });
  }

  watchTopology(onDoc: (doc: TopologyDoc) => void): Closable {
    let last = -1;
    return this.watch({ key: this.topologyKey }, (state) => {
      const value = state.get(this.topologyKey);
      if (value === undefined) return;
      let doc: TopologyDoc;
      try {
        doc = parseTopology(value);
      } catch {
        return; // not a document: nothing a node could apply
      }
      if (doc.epoch < last) return;
      last = doc.epoch;
      onDoc(doc);
    });
  }

  async grantLease(ttlMs: number): Promise<CoordinatorLease> {
    const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
    const sentAt = performance.now();
    const res = await this.run('grant lease', () => this.client.leaseClient.leaseGrant({ TTL: seconds, ID: 0 }));
    if (res.error) throw new CoordinatorError('E_COORDINATOR_REPLY', `${this.description}: grant lease: ${res.error}`);
    const lease = new EtcdLease(this.client, res.ID, Number(res.TTL) * 1000, sentAt, (l) => this.closables.delete(l));
    this.closables.add(lease);
    return lease;
  }

  async register(member: MemberRecord, lease: CoordinatorLease): Promise<void> {
    await this.underLease('register', lease, () => this.client.put(this.membersPrefix + member.id).value(memberJson(member)).lease(lease.id).exec());
  }

  async members(): Promise<MemberRecord[]> {
    const res = await this.run('read members', () => this.client.getAll().prefix(this.membersPrefix).exec());
    return membersOf(res.kvs.map(text));
  }

  watchMembers(onMembers: (members: MemberRecord[]) => void): Closable {
    let last: string | null = null;
    return this.watch({ prefix: this.membersPrefix }, (state) => {
      const list = membersOf([...state.values()]);
      const key = list.map(memberJson).join('\n');
      if (key === last) return;
      last = key;
      onMembers(list);
    });
  }

  async campaign(candidate: MemberRecord, lease: CoordinatorLease): Promise<boolean> {
    const key = this.controllerKey;
    const value = JSON.stringify({ ...JSON.parse(memberJson(candidate)), lease: lease.id });
    return this.underLease('campaign', lease, async () => {
      const res = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(value).lease(lease.id)).else(this.client.get(key)).commit();
      if (res.succeeded) return true;
      const kv = res.responses[0]?.response_range?.kvs[0];
      const holder = kv === undefined ? null : controllerFromJson(text(kv));
      return holder !== null && sameMember(holder, candidate);
    });
  }

  async controller(): Promise<MemberRecord | null> {
    const kv = await this.run('read controller', () => this.get(this.controllerKey));
    return kv === undefined ? null : controllerMember(text(kv));
  }

  watchController(onController: (c: MemberRecord | null) => void): Closable {
    let last: string | undefined;
    return this.watch({ key: this.controllerKey }, (state) => {
      const value = state.get(this.controllerKey);
      const c = value === undefined ? null : controllerMember(value);
      const key = c === null ? '' : memberJson(c);
      if (key === last) return;
      last = key;
      onController(c);
    });
  }

  async evictController(expected: MemberRecord): Promise<boolean> {
    const key = this.controllerKey;
    const holder = await this.run('evict controller', async () => {
      const kv = await this.get(key);
      const held = kv === undefined ? null : controllerFromJson(text(kv));
      if (kv === undefined || held === null || !sameMember(held, expected)) return null;
      const res = await this.client.if(key, 'Value', '==', kv.value).then(this.client.delete().key(key)).commit();
      return res.succeeded ? held : null;
    });
    if (holder === null) return false;
    // The record is gone; ending its lease also removes the dead controller's member record. If
    // this fails, the lease (no longer kept alive by a dead process) lapses by itself.
    await this.run('revoke the evicted lease', () => this.client.leaseClient.leaseRevoke({ ID: holder.lease })).catch(() => undefined);
    return true;
  }

  async resign(candidate: MemberRecord): Promise<void> {
    const key = this.controllerKey;
    await this.run('resign', async () => {
      const kv = await this.get(key);
      const held = kv === undefined ? null : controllerFromJson(text(kv));
      if (kv === undefined || held === null || !sameMember(held, candidate)) return;
      await this.client.if(key, 'Mod', '==', kv.mod_revision).then(this.client.delete().key(key)).commit();
    });
  }

  async probe(timeoutMs: number): Promise<Reachability> {
    const until = performance.now() + timeoutMs;
    const results = await Promise.all(
      this.endpoints.map((e) => {
        const url = new URL(e.includes('://') ? e : `http://${e}`);
        return tcpReach(url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(url.port || 2379), timeoutMs);
      }),
    );
    let connected = false;
    for (const r of results) {
      if (typeof r !== 'string') {
        connected = true;
        r.destroy();
      }
    }
    if (!connected) return results.every((r) => r === 'refused') ? 'refused' : 'unreachable';
    const left = Math.max(1, until - performance.now());
    try {
      await Promise.race([
        this.client.get(this.topologyKey).options({ deadline: Date.now() + left }).exec(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('probe deadline')), left + 50)),
      ]);
      return 'up';
    } catch {
      return 'unreachable';
    }
  }

  /** Starts a watch of one key or a prefix; `emit` gets the whole state after every change. */
  private watch(range: WatchRange, emit: (state: Map<string, string>) => void): Closable {
    if (this.closed) throw new CoordinatorError('E_COORDINATOR_CLOSED', `${this.description}: closed`);
    const w = new EtcdWatch(this, range, emit, (x) => this.closables.delete(x));
    this.closables.add(w);
    return w;
  }

  /** For EtcdWatch: a snapshot read (with this coordinator's deadline). */
  snapshot(range: WatchRange): Promise<IRangeResponse> {
    return this.run('watch read', () => (range.key !== undefined ? this.client.get(range.key).exec() : this.client.getAll().prefix(range.prefix!).exec()));
  }

  /** For EtcdWatch: an etcd3 watcher from a revision. */
  watcher(range: WatchRange, fromRevision: bigint): Watcher {
    const b = this.client.watch();
    return (range.key !== undefined ? b.key(range.key) : b.prefix(range.prefix!)).startRevision(fromRevision.toString()).watcher();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.closables]) c.close();
    this.client.close();
  }
}
