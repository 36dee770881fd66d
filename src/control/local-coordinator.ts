// The local coordinator's client: implements Coordinator (coordinator.ts) over the RESP protocol
// that local-coordinator-server.ts serves (its header lists the commands). What both backends
// share (the typed CoordinatorError, the member record validator) is in coordinator-shared.ts.
//
// Connections (local-coordinator-links.ts): one request connection, opened on demand, one command
// at a time in FIFO order, every call with a deadline; and one connection per watch, in push
// mode, reconnected with a backoff when lost (the server's first push re-delivers the state).
//
// Leases: a keep-alive every ttl/3 on the request connection. lastConfirmedSentAt() is the
// performance.now() at which the last keep-alive the server answered (or the grant) was sent: the
// server moved the expiry to (its receipt time + ttl), which is no earlier than that send time +
// ttl. A failed keep-alive (server unreachable) is retried at the next tick; only the server's
// -NOLEASE (expired or revoked) fires onLost. close() stops the keep-alives and lets the lease
// expire by itself; revoke() also ends it at once.
//
// Security (options.security, a node's cluster LinkSecurity: util/link-security.ts): every
// connection is TLS when it says so and sends AUTH first (local-coordinator-links.ts). The
// probe's PING needs no AUTH (the server answers it to anyone).

import { performance } from 'node:perf_hooks';
import type { LinkSecurity } from '../util/link-security.js';
import { encodeCommand, parseReply, type ReplyValue } from '../protocol/reply-parser.js';
import type { RespValue } from '../protocol/resp-value.js';
import { parseTopology, type TopologyDoc } from '../cluster/topology.js';
import type { Closable, Coordinator, CoordinatorLease, MemberRecord, Reachability } from './coordinator.js';
import { CoordinatorError, memberFromJson, memberJson, tcpReach } from './coordinator-shared.js';
import { PushWatch, RespLink, isError, utf8 } from './local-coordinator-links.js';

/** "host:port" (or "[v6]:port") to its parts. */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`not a host:port address: ${address}`);
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

export class LocalLease implements CoordinatorLease {
  onLost: (() => void) | null = null;
  private confirmedSentAt: number;
  private readonly intervalMs: number;
  private readonly timer: NodeJS.Timeout;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly link: RespLink,
    readonly id: string,
    readonly ttlMs: number,
    grantSentAt: number,
    private readonly onClose: (l: LocalLease) => void,
  ) {
    this.confirmedSentAt = grantSentAt;
    this.intervalMs = Math.max(1, Math.floor(ttlMs / 3));
    this.timer = setInterval(() => this.keepAlive(), this.intervalMs);
  }

  lastConfirmedSentAt(): number {
    return this.confirmedSentAt;
  }

  private keepAlive(): void {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    const sentAt = performance.now();
    // A keep-alive waits at most one interval: after a stall (here or at the coordinator) a
    // fresh one goes out instead of one queued behind it.
    this.link.call(['COORD', 'LEASE', 'KEEPALIVE', this.id], this.intervalMs).then(
      (r) => {
        this.inFlight = false;
        if (typeof r === 'number') {
          if (sentAt > this.confirmedSentAt) this.confirmedSentAt = sentAt;
          // The confirmed send time is what the holder's authority runs from (controller.ts):
          // when this answer was for an old request, confirm a fresh one at once.
          if (performance.now() - this.confirmedSentAt > this.intervalMs) this.keepAlive();
        } else if (isError(r) && r.error.startsWith('NOLEASE')) {
          this.lost();
        }
      },
      () => {
        this.inFlight = false; // unreachable or slow: the next tick tries again
      },
    );
  }

  /** The coordinator says the lease is gone: stop, and tell the holder once. */
  lost(): void {
    if (this.stopped) return;
    this.stop();
    this.onLost?.();
  }

  private stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.onClose(this);
  }

  /** Stops the keep-alives; the lease expires ttl after the last one. */
  close(): void {
    if (!this.stopped) this.stop();
  }

  /** Stops the keep-alives and ends the lease now (its records go with it). */
  async revoke(timeoutMs = 2000): Promise<void> {
    this.close();
    await this.link.call(['COORD', 'LEASE', 'REVOKE', this.id], timeoutMs);
  }
}

export interface LocalCoordinatorOptions {
  /** Deadline of each call to the server (default 2000 ms). */
  callTimeoutMs?: number;
  /** Credentials (AUTH first) and TLS for every connection to the server. */
  security?: LinkSecurity;
}

export class LocalCoordinator implements Coordinator {
  readonly description: string;
  private readonly host: string;
  private readonly port: number;
  private readonly link: RespLink;
  private readonly timeoutMs: number;
  private readonly watches = new Set<PushWatch>();
  private readonly leases = new Set<LocalLease>();
  private readonly security: LinkSecurity | undefined;

  constructor(address: string, options: LocalCoordinatorOptions = {}) {
    ({ host: this.host, port: this.port } = splitAddress(address));
    this.description = `local ${address}`;
    this.security = options.security;
    this.link = new RespLink(this.host, this.port, this.security);
    this.timeoutMs = options.callTimeoutMs ?? 2000;
  }

  private async call(args: Array<string | number>): Promise<ReplyValue> {
    const r = await this.link.call(args, this.timeoutMs);
    if (isError(r)) {
      if (r.error.startsWith('NOLEASE')) throw new CoordinatorError('E_LEASE_LOST', `${this.description}: ${r.error}`);
      throw new CoordinatorError('E_COORDINATOR_REPLY', `${this.description}: ${args.slice(0, 3).join(' ')}: ${r.error}`);
    }
    return r;
  }

  /** A call made under a lease: the server's -NOLEASE also tells the lease it is lost. */
  private async callUnder(lease: CoordinatorLease, args: Array<string | number>): Promise<ReplyValue> {
    try {
      return await this.call(args);
    } catch (err) {
      if (err instanceof CoordinatorError && err.code === 'E_LEASE_LOST' && lease instanceof LocalLease) lease.lost();
      throw err;
    }
  }

  private unexpected(what: string, r: ReplyValue): CoordinatorError {
    return new CoordinatorError('E_COORDINATOR_REPLY', `${this.description}: unexpected reply to ${what}: ${JSON.stringify(r)}`);
  }

  async readTopology(): Promise<TopologyDoc | null> {
    const r = await this.call(['COORD', 'TOPOLOGY', 'GET']);
    if (r === null) return null;
    if (typeof r !== 'string') throw this.unexpected('TOPOLOGY GET', r);
    return parseTopology(utf8(r));
  }

  async casTopology(expectedEpoch: number, doc: TopologyDoc): Promise<boolean> {
    if (!(doc.epoch > expectedEpoch)) return false;
    const r = await this.call(['COORD', 'TOPOLOGY', 'CAS', expectedEpoch, JSON.stringify(doc)]);
    if (r !== 0 && r !== 1) throw this.unexpected('TOPOLOGY CAS', r);
    return r === 1;
  }

  watchTopology(onDoc: (doc: TopologyDoc) => void): Closable {
    // Re-deliveries after a reconnect may repeat the last document; never go back in epoch.
    let last = -1;
    return this.watch('TOPOLOGY', (v) => {
      let doc: TopologyDoc;
      try {
        if (typeof v !== 'string') return;
        doc = parseTopology(utf8(v));
      } catch {
        return; // the server validates what it stores: nothing to deliver from garbage
      }
      if (doc.epoch < last) return;
      last = doc.epoch;
      onDoc(doc);
    });
  }

  async grantLease(ttlMs: number): Promise<CoordinatorLease> {
    const ttl = Math.max(10, Math.ceil(ttlMs));
    const sentAt = performance.now();
    const r = await this.call(['COORD', 'LEASE', 'GRANT', ttl]);
    if (!Array.isArray(r) || typeof r[0] !== 'string' || typeof r[1] !== 'number') throw this.unexpected('LEASE GRANT', r);
    const lease = new LocalLease(this.link, r[0], r[1], sentAt, (l) => this.leases.delete(l));
    this.leases.add(lease);
    return lease;
  }

  async register(member: MemberRecord, lease: CoordinatorLease): Promise<void> {
    await this.callUnder(lease, ['COORD', 'MEMBER', 'REGISTER', lease.id, memberJson(member)]);
  }

  async members(): Promise<MemberRecord[]> {
    const r = await this.call(['COORD', 'MEMBER', 'LIST']);
    if (!Array.isArray(r)) throw this.unexpected('MEMBER LIST', r);
    return this.memberList(r);
  }

  private memberList(items: RespValue[]): MemberRecord[] {
    const out: MemberRecord[] = [];
    for (const item of items) {
      const m = typeof item === 'string' ? memberFromJson(utf8(item)) : null;
      if (m === null) throw this.unexpected('a member list', item);
      out.push(m);
    }
    return out;
  }

  watchMembers(onMembers: (members: MemberRecord[]) => void): Closable {
    let last: string | null = null;
    return this.watch('MEMBERS', (v) => {
      let list: MemberRecord[];
      try {
        if (!Array.isArray(v)) return;
        list = this.memberList(v);
      } catch {
        return;
      }
      const key = list.map(memberJson).join('\n');
      if (key === last) return; // a re-delivery after a reconnect, nothing changed
      last = key;
      onMembers(list);
    });
  }

  async campaign(candidate: MemberRecord, lease: CoordinatorLease): Promise<boolean> {
    const r = await this.callUnder(lease, ['COORD', 'CONTROLLER', 'CAMPAIGN', lease.id, memberJson(candidate)]);
    if (r !== 0 && r !== 1) throw this.unexpected('CONTROLLER CAMPAIGN', r);
    return r === 1;
  }

  async controller(): Promise<MemberRecord | null> {
    const r = await this.call(['COORD', 'CONTROLLER', 'GET']);
    return this.controllerRecord(r);
  }

  private controllerRecord(r: ReplyValue): MemberRecord | null {
    if (r === null) return null;
    const m = typeof r === 'string' ? memberFromJson(utf8(r)) : null;
    if (m === null) throw this.unexpected('CONTROLLER GET', r);
    return m;
  }

  watchController(onController: (c: MemberRecord | null) => void): Closable {
    let last: string | undefined;
    return this.watch('CONTROLLER', (v) => {
      let c: MemberRecord | null;
      try {
        c = this.controllerRecord(v);
      } catch {
        return;
      }
      const key = c === null ? '' : memberJson(c);
      if (key === last) return;
      last = key;
      onController(c);
    });
  }

  async evictController(expected: MemberRecord): Promise<boolean> {
    const r = await this.call(['COORD', 'CONTROLLER', 'EVICT', expected.id, expected.runId]);
    if (r !== 0 && r !== 1) throw this.unexpected('CONTROLLER EVICT', r);
    return r === 1;
  }

  async resign(candidate: MemberRecord): Promise<void> {
    await this.call(['COORD', 'CONTROLLER', 'RESIGN', candidate.id, candidate.runId]);
  }

  async probe(timeoutMs: number): Promise<Reachability> {
    const until = performance.now() + timeoutMs;
    const socket = await tcpReach(this.host, this.port, timeoutMs, this.security?.tls);
    if (typeof socket === 'string') return socket;
    return new Promise((resolve) => {
      let buf: Buffer = Buffer.alloc(0);
      const done = (r: Reachability): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => done('unreachable'), Math.max(0, until - performance.now()));
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        try {
          const r = parseReply(buf);
          if (r !== null) done(typeof r[0] === 'object' && r[0] !== null && 'simple' in r[0] && r[0].simple === 'PONG' ? 'up' : 'unreachable');
        } catch {
          done('unreachable');
        }
      });
      socket.on('error', () => done('unreachable'));
      socket.on('close', () => done('unreachable'));
      socket.write(encodeCommand(['PING']));
    });
  }

  private watch(subject: 'TOPOLOGY' | 'MEMBERS' | 'CONTROLLER', onValue: (v: RespValue) => void): Closable {
    const w = new PushWatch(this.host, this.port, subject, onValue, (x) => this.watches.delete(x), this.security);
    this.watches.add(w);
    return w;
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) w.close();
    for (const l of [...this.leases]) l.close();
    this.link.close();
  }
}
