// The local coordinator's server: the in-memory store behind `corral up` on one machine, serving a
// small RESP protocol on a TCP port. It holds one cluster's shared state (coordinator.ts): the
// topology document with its epoch, member registrations, the controller record, and the leases
// they hang on. There is no consensus and no persistence: it is one process, and when it goes,
// the state goes with it (the supervisor that runs it writes the document again).
//
// Commands (RESP2 multibulk requests; replies RESP2, pushes RESP3 `>` frames). Records travel as
// UTF-8 JSON bulks; lease ids are decimal strings.
//
//   PING                                    +PONG
//   COORD TOPOLOGY GET                      the document's JSON, or nil
//   COORD TOPOLOGY CAS <expected> <json>    :1 written, :0 refused. Written only if the stored
//                                           epoch is <expected> (0: none stored) and the
//                                           document (validated) has a greater epoch
//   COORD LEASE GRANT <ttl-ms>              *2 [id, ttl-ms]
//   COORD LEASE KEEPALIVE <id>              :ttl-ms (expiry moved to now + ttl), or -NOLEASE
//   COORD LEASE REVOKE <id>                 :1 revoked, :0 no such lease
//   COORD MEMBER REGISTER <lease> <json>    +OK, or -NOLEASE. Replaces the member's record (by
//                                           id) and attaches it to the lease
//   COORD MEMBER LIST                       *N member JSONs, by id
//   COORD CONTROLLER CAMPAIGN <lease> <json>  :1 if the candidate now holds the record (written
//                                           now, or already held by the same id and runId), :0
//                                           if another holds it, -NOLEASE
//   COORD CONTROLLER GET                    the controller's JSON, or nil
//   COORD CONTROLLER EVICT <id> <runId>     :1 and the holder's lease revoked if the record is
//                                           still that member, else :0
//   COORD CONTROLLER RESIGN <id> <runId>    :1 record deleted if held by that member (its lease
//                                           stays), else :0
//   COORD WATCH TOPOLOGY|MEMBERS|CONTROLLER +OK, then at once a push of the current state and a
//                                           push after every change, for as long as the
//                                           connection lives (one connection may watch several):
//       >2 topology <json|nil>   >2 members *N<json...>   >2 controller <json|nil>
//
// With a supervisor (the process that runs the nodes too: LocalCluster, behind `corral up`), it
// also starts and stops node processes for `corral cluster add-shard --spawn` / `remove-shard`.
// Without one these answer -ERR. A connection waits for SPAWN and STOPNODE's replies before its
// next command runs.
//
//   COORD INFO                              field/value bulks: replicas (per shard), host (the
//                                           address nodes announce), shards (at start), nodes
//                                           (processes running), ports (comma-separated)
//   COORD SPAWN PRIMARY|REPLICA <port>      +OK once a new node process on that port (the same
//                                           flags as the others, restarted like them) answers
//                                           PING, or -ERR why. PRIMARY only for a port the
//                                           document already names a shard's primary (add the
//                                           shard first); a replica is placed by the controller
//   COORD STOPNODE <port>                   +OK once the node process on that port has exited
//                                           for good (no restart), or -ERR why. Refused for a
//                                           node the document still places in a shard
//
// Leases: each has a timer set at its expiry (now + ttl, re-armed by every keep-alive), so a
// lapsed lease is removed within a timer tick of its expiry, not at the next poll. Removing a
// lease removes the member records and the controller record attached to it, and every change
// is pushed to the watchers before the command that caused it is answered (or, for an expiry,
// from the timer callback): a watcher sees changes in the order they happened.
//
// Lease ids are random 48-bit numbers, so a client of a server that restarted on the same port
// (all state lost) gets -NOLEASE for its old lease rather than refreshing someone else's.
//
// Security (options): with a password, a connection must AUTH [<user>] <password> (user: the
// default one, or options.user) before anything but PING, which stays open for liveness probes
// and tells nothing; other commands answer -NOAUTH Authentication required. as Redis, a wrong
// password -WRONGPASS. With TLS options the port serves TLS only.

import net from 'node:net';
import tls from 'node:tls';
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { COMMAND_READY, PROTOCOL_ERROR, QUERY_BUFFER_FULL, RequestParser, type CommandArgs } from '../protocol/request-parser.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { parseTopology } from '../cluster/topology.js';
import type { MemberRecord } from './coordinator.js';
import { memberFromJson } from './local-coordinator.js';

/** Longest ttl a lease may ask for (a day), and the shortest. */
const MAX_TTL_MS = 86_400_000;
const MIN_TTL_MS = 10;
/** A lease timer this late (ms) says the process was stalled, not that the holder went quiet. */
const STALL_SLACK_MS = 100;

interface LeaseState {
  id: string;
  ttlMs: number;
  expiresAt: number;
  /** The current expiry was pushed back once for a stall of this process (reset by keep-alive). */
  stallForgiven: boolean;
  timer: NodeJS.Timeout;
  /** Member ids registered under this lease. */
  members: Set<string>;
}

interface Subject {
  topology: boolean;
  members: boolean;
  controller: boolean;
}

class ProtocolReject extends Error {}

/** Runs the node processes (LocalCluster): what COORD INFO, SPAWN and STOPNODE ask of it. */
export interface NodeSupervisor {
  /** Field/value pairs for COORD INFO (replicas, host...). */
  info(): Array<[string, string]>;
  /** Starts a node process on the port; null once it answers PING, else why not. */
  spawn(role: 'primary' | 'replica', port: number): Promise<string | null>;
  /** Stops the node process on the port for good; null once it has exited, else why not. */
  stopNode(port: number): Promise<string | null>;
}

/** Parses and checks a member record sent by a client. */
function parseMember(json: string): MemberRecord {
  const m = memberFromJson(json);
  if (m === null) throw new ProtocolReject('ERR invalid member record: needs id, host, port, runId');
  return m;
}

export interface LocalCoordinatorServerOptions {
  /** Required of every connection (AUTH) before any command but PING; none by default. */
  password?: string;
  /** The user AUTH <user> <password> names besides `default`. */
  user?: string;
  /** Serve TLS with these options instead of plain TCP. */
  tls?: tls.TlsOptions;
}

export class LocalCoordinatorServer {
  private server: net.Server | null = null;
  /** Connections that passed AUTH (all of them without a password). */
  private readonly authed = new WeakSet<net.Socket>();
  private readonly sockets = new Set<net.Socket>();
  private readonly watchers = new Map<net.Socket, Subject>();
  /** Replies to the connection being served; pushes are encoded apart (pushWriter). */
  private readonly writer = new ReplyWriter();
  private readonly pushWriter = new ReplyWriter();

  private topology: { json: Buffer; epoch: number } | null = null;
  private readonly leases = new Map<string, LeaseState>();
  private readonly members = new Map<string, { json: Buffer; leaseId: string }>();
  private controller: { record: MemberRecord; json: Buffer; leaseId: string } | null = null;
  /** Starts and stops node processes (COORD SPAWN, STOPNODE); null: this server does not. */
  supervisor: NodeSupervisor | null = null;

  constructor(private readonly options: LocalCoordinatorServerOptions = {}) {}

  /** Listens; port 0 picks an ephemeral port. Resolves with the port. */
  start(host = '127.0.0.1', port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      const accept = (socket: net.Socket): void => this.accept(socket);
      const server = this.options.tls !== undefined ? tls.createServer(this.options.tls, accept) : net.createServer(accept);
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops listening, drops every connection and forgets all state. */
  close(): Promise<void> {
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
    this.leases.clear();
    this.members.clear();
    this.controller = null;
    this.topology = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.watchers.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    if (this.options.password === undefined) this.authed.add(socket);
    this.sockets.add(socket);
    const parser = new RequestParser({ maxBulkLength: 64 * 1024 * 1024, maxQueryBuffer: 128 * 1024 * 1024 });
    /** A command answered later (SPAWN, STOPNODE) is under way: the next ones wait for it. */
    let waiting = false;
    const run = (): void => {
      const w = this.writer;
      w.begin();
      let r;
      while ((r = parser.next()) === COMMAND_READY) {
        const later = this.authed.has(socket) ? this.startSlow(parser) : null;
        if (later === null) {
          this.execute(socket, parser);
          continue;
        }
        // Replies so far go out now; reading stops until this one is answered.
        parser.preserve();
        const out = w.take();
        if (out !== null) socket.write(out);
        waiting = true;
        socket.pause();
        void later.then((reply) => {
          waiting = false;
          if (socket.destroyed) return;
          socket.write(reply);
          socket.resume();
          run();
        });
        return;
      }
      let closeAfter = false;
      if (r === PROTOCOL_ERROR) {
        w.error(`ERR ${parser.error}`);
        closeAfter = true;
      } else if (r === QUERY_BUFFER_FULL) {
        closeAfter = true;
      }
      const out = w.take();
      if (out !== null) socket.write(out);
      if (closeAfter) socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      if (waiting) parser.preserve();
      else run();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.watchers.delete(socket);
    });
  }

  private execute(socket: net.Socket, args: CommandArgs): void {
    const w = this.writer;
    const arg = (i: number): string => args.buf.toString('utf8', args.start[i], args.end[i]);
    const name = args.argc > 0 ? arg(0).toUpperCase() : '';
    try {
      if (name === 'PING') return w.simple('PONG');
      if (name === 'AUTH') return this.auth(socket, args.argc === 2 ? 'default' : arg(1), arg(args.argc - 1), args.argc);
      if (!this.authed.has(socket)) return w.error('NOAUTH Authentication required.');
      if (name === 'COORD' && args.argc === 2 && arg(1).toUpperCase() === 'INFO') return this.info();
      if (name !== 'COORD' || args.argc < 3) throw new ProtocolReject(`ERR unknown command '${name}'`);
      const verb = `${arg(1).toUpperCase()} ${arg(2).toUpperCase()}`;
      const need = (n: number): void => {
        if (args.argc !== n) throw new ProtocolReject(`ERR wrong number of arguments for 'COORD ${verb}'`);
      };
      switch (verb) {
        case 'TOPOLOGY GET':
          need(3);
          return this.bulkOrNil(this.topology?.json ?? null);
        case 'TOPOLOGY CAS':
          need(5);
          return w.integer(this.casTopology(int(arg(3)), arg(4)) ? 1 : 0);
        case 'LEASE GRANT': {
          need(4);
          const ttl = int(arg(3));
          if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) throw new ProtocolReject(`ERR ttl must be ${MIN_TTL_MS}-${MAX_TTL_MS} ms`);
          const lease = this.grant(ttl);
          w.array(2);
          w.bulk(lease.id);
          return w.integer(ttl);
        }
        case 'LEASE KEEPALIVE': {
          need(4);
          const lease = this.lease(arg(3));
          this.arm(lease);
          return w.integer(lease.ttlMs);
        }
        case 'LEASE REVOKE': {
          need(4);
          const lease = this.leases.get(arg(3));
          if (lease !== undefined) this.expire(lease);
          return w.integer(lease === undefined ? 0 : 1);
        }
        case 'MEMBER REGISTER': {
          need(5);
          const lease = this.lease(arg(3));
          const json = arg(4);
          const member = parseMember(json);
          const old = this.members.get(member.id);
          if (old !== undefined) this.leases.get(old.leaseId)?.members.delete(member.id);
          this.members.set(member.id, { json: Buffer.from(json, 'utf8'), leaseId: lease.id });
          lease.members.add(member.id);
          this.pushMembers();
          return w.ok();
        }
        case 'MEMBER LIST':
          need(3);
          return this.writeMembers(w);
        case 'CONTROLLER CAMPAIGN': {
          need(5);
          const lease = this.lease(arg(3));
          const json = arg(4);
          const candidate = parseMember(json);
          if (this.controller !== null) return w.integer(sameMember(this.controller.record, candidate) ? 1 : 0);
          this.controller = { record: candidate, json: Buffer.from(json, 'utf8'), leaseId: lease.id };
          this.pushController();
          return w.integer(1);
        }
        case 'CONTROLLER GET':
          need(3);
          return this.bulkOrNil(this.controller?.json ?? null);
        case 'CONTROLLER EVICT':
        case 'CONTROLLER RESIGN': {
          need(5);
          const c = this.controller;
          if (c === null || c.record.id !== arg(3) || c.record.runId !== arg(4)) return w.integer(0);
          this.controller = null;
          this.pushController();
          // Evicting a dead controller also ends its lease, so its member record goes too.
          if (verb === 'CONTROLLER EVICT') {
            const lease = this.leases.get(c.leaseId);
            if (lease !== undefined) this.expire(lease);
          }
          return w.integer(1);
        }
        case 'WATCH TOPOLOGY':
        case 'WATCH MEMBERS':
        case 'WATCH CONTROLLER': {
          need(3);
          const subject = this.watchers.get(socket) ?? { topology: false, members: false, controller: false };
          this.watchers.set(socket, subject);
          w.ok();
          // The current state goes out in the same write as the +OK, before any later change.
          if (verb === 'WATCH TOPOLOGY') {
            subject.topology = true;
            this.encodeTopologyPush(w);
          } else if (verb === 'WATCH MEMBERS') {
            subject.members = true;
            this.encodeMembersPush(w);
          } else {
            subject.controller = true;
            this.encodeControllerPush(w);
          }
          return;
        }
        default:
          throw new ProtocolReject(`ERR unknown subcommand 'COORD ${verb}'`);
      }
    } catch (err) {
      if (err instanceof ProtocolReject) return w.error(err.message);
      w.error(`ERR ${(err as Error).message}`);
    }
  }

  /** AUTH [<user>] <password>: Redis's replies, the password compared in constant time. */
  private auth(socket: net.Socket, user: string, password: string, argc: number): void {
    const w = this.writer;
    const expected = this.options.password;
    if (argc !== 2 && argc !== 3) return w.error("ERR wrong number of arguments for 'auth' command");
    if (expected === undefined) {
      return w.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
    const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
    const userOk = user === 'default' || (this.options.user !== undefined && user === this.options.user);
    if (!timingSafeEqual(digest(password), digest(expected)) || !userOk) return w.error('WRONGPASS invalid username-password pair or user is disabled.');
    this.authed.add(socket);
    w.ok();
  }

  private info(): void {
    const w = this.writer;
    if (this.supervisor === null) return w.error(NO_SUPERVISOR);
    const fields = this.supervisor.info();
    w.array(fields.length * 2);
    for (const [k, v] of fields) {
      w.bulk(k);
      w.bulk(v);
    }
  }

  /**
   * COORD SPAWN and COORD STOPNODE, answered once the supervisor is done: the reply's bytes, or
   * null for any other command (served at once by execute).
   */
  private startSlow(args: CommandArgs): Promise<Buffer> | null {
    const arg = (i: number): string => args.buf.toString('utf8', args.start[i], args.end[i]);
    if (args.argc < 2 || arg(0).toUpperCase() !== 'COORD') return null;
    const verb = arg(1).toUpperCase();
    if (verb !== 'SPAWN' && verb !== 'STOPNODE') return null;
    const error = (why: string): Promise<Buffer> => Promise.resolve(Buffer.from(`-${why.replace(/[\r\n]+/g, ' ')}\r\n`));
    const done = (why: string | null): Buffer => Buffer.from(why === null ? '+OK\r\n' : `-ERR ${why.replace(/[\r\n]+/g, ' ')}\r\n`);
    if (args.argc !== (verb === 'SPAWN' ? 4 : 3)) return error(`ERR wrong number of arguments for 'COORD ${verb}'`);
    if (this.supervisor === null) return error(NO_SUPERVISOR);
    const port = Number(arg(args.argc - 1));
    if (!/^\d{1,5}$/.test(arg(args.argc - 1)) || port < 1 || port > 65535) return error('ERR the port must be 1-65535');
    const placed = this.placement(port);
    const supervisor = this.supervisor;
    let work: Promise<string | null>;
    if (verb === 'SPAWN') {
      const role = arg(2).toLowerCase();
      if (role !== 'primary' && role !== 'replica') return error("ERR COORD SPAWN takes PRIMARY or REPLICA");
      if (role === 'primary' && placed !== 'primary') {
        return error(`ERR the topology names no shard primary on port ${port}: add the shard first (CORRAL RESHARD ADD), then spawn its primary`);
      }
      work = supervisor.spawn(role, port);
    } else {
      if (placed !== null) return error(`ERR the node on port ${port} is still a ${placed} in the topology: remove its shard first`);
      work = supervisor.stopNode(port);
    }
    return work.then(done, (err: Error) => done(err.message));
  }

  /** The place the stored document gives a node on this port: primary, replica, or null. */
  private placement(port: number): 'primary' | 'replica' | null {
    if (this.topology === null) return null;
    const doc = parseTopology(this.topology.json.toString('utf8'));
    const ids = new Set(doc.nodes.filter((n) => n.port === port).map((n) => n.id));
    for (const s of doc.shards) {
      if (ids.has(s.primary)) return 'primary';
      if (s.replicas.some((r) => ids.has(r))) return 'replica';
    }
    return null;
  }

  private casTopology(expected: number, json: string): boolean {
    const doc = parseTopology(json); // throws E_TOPOLOGY on an invalid document
    const stored = this.topology?.epoch ?? 0;
    if (stored !== expected || !(doc.epoch > expected)) return false;
    this.topology = { json: Buffer.from(JSON.stringify(doc), 'utf8'), epoch: doc.epoch };
    this.pushTo('topology', (w) => this.encodeTopologyPush(w));
    return true;
  }

  private grant(ttlMs: number): LeaseState {
    let id: string;
    do id = String(randomInt(1, 2 ** 48 - 1));
    while (this.leases.has(id));
    const lease: LeaseState = { id, ttlMs, expiresAt: 0, stallForgiven: false, timer: undefined as unknown as NodeJS.Timeout, members: new Set() };
    this.leases.set(id, lease);
    this.arm(lease);
    return lease;
  }

  /** (Re)sets the lease's expiry to now + ttl. */
  private arm(lease: LeaseState): void {
    clearTimeout(lease.timer);
    lease.stallForgiven = false;
    lease.expiresAt = performance.now() + lease.ttlMs;
    lease.timer = setTimeout(() => this.onTimer(lease), lease.ttlMs);
  }

  private onTimer(lease: LeaseState): void {
    if (this.leases.get(lease.id) !== lease) return;
    // A timer may fire a little early relative to performance.now(); never expire before time.
    const now = performance.now();
    const left = lease.expiresAt - now;
    if (left > 0) {
      lease.timer = setTimeout(() => this.onTimer(lease), Math.ceil(left));
      return;
    }
    // A timer that fires well after its time means this process was stalled (a blocked event
    // loop, a descheduled process). Node runs due timers before it reads sockets, so the
    // holder's keep-alives sent during the stall are still unread: expiring now would blame the
    // holder for the coordinator's own silence. The stalled time is given back (never more than
    // a ttl), so the lease expires only after a ttl in which this process could hear it. Holding
    // a lease longer than its holder counts on is always safe: holders stop acting on a lease by
    // their own clocks (agent.ts, controller.ts). Once per keep-alive: a loop that is always
    // late must not keep a dead holder's lease forever.
    const late = -left;
    if (late > STALL_SLACK_MS && !lease.stallForgiven) {
      lease.stallForgiven = true;
      lease.expiresAt = now + Math.min(late, lease.ttlMs);
      lease.timer = setTimeout(() => this.onTimer(lease), Math.ceil(lease.expiresAt - now));
      return;
    }
    this.expire(lease);
  }

  /** Removes the lease and everything attached to it, and tells the watchers. */
  private expire(lease: LeaseState): void {
    clearTimeout(lease.timer);
    this.leases.delete(lease.id);
    let membersChanged = false;
    for (const id of lease.members) {
      const m = this.members.get(id);
      if (m !== undefined && m.leaseId === lease.id) {
        this.members.delete(id);
        membersChanged = true;
      }
    }
    if (membersChanged) this.pushMembers();
    if (this.controller !== null && this.controller.leaseId === lease.id) {
      this.controller = null;
      this.pushController();
    }
  }

  private lease(id: string): LeaseState {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new ProtocolReject(`NOLEASE lease ${id} not found`);
    return lease;
  }

  private bulkOrNil(json: Buffer | null): void {
    if (json === null) this.writer.nil();
    else this.writer.bulkBytes(json);
  }

  private writeMembers(w: ReplyWriter): void {
    const ids = [...this.members.keys()].sort();
    w.array(ids.length);
    for (const id of ids) w.bulkBytes(this.members.get(id)!.json);
  }

  private encodeTopologyPush(w: ReplyWriter): void {
    w.raw(PUSH2);
    w.bulk('topology');
    if (this.topology === null) w.nil();
    else w.bulkBytes(this.topology.json);
  }

  private encodeMembersPush(w: ReplyWriter): void {
    w.raw(PUSH2);
    w.bulk('members');
    this.writeMembers(w);
  }

  private encodeControllerPush(w: ReplyWriter): void {
    w.raw(PUSH2);
    w.bulk('controller');
    if (this.controller === null) w.nil();
    else w.bulkBytes(this.controller.json);
  }

  private pushMembers(): void {
    this.pushTo('members', (w) => this.encodeMembersPush(w));
  }

  private pushController(): void {
    this.pushTo('controller', (w) => this.encodeControllerPush(w));
  }

  /**
   * Encodes one push frame (apart from the replies under way) and writes the same bytes to every
   * connection watching the subject, at once.
   */
  private pushTo(subject: keyof Subject, encode: (w: ReplyWriter) => void): void {
    let frame: Buffer | null = null;
    for (const [socket, s] of this.watchers) {
      if (!s[subject] || socket.destroyed) continue;
      if (frame === null) {
        this.pushWriter.begin();
        encode(this.pushWriter);
        frame = this.pushWriter.take();
      }
      if (frame !== null) socket.write(frame);
    }
  }
}

const PUSH2 = Buffer.from('>2\r\n');
const NO_SUPERVISOR = 'ERR this coordinator does not run the nodes (only `corral up`\'s does)';

function int(s: string): number {
  if (!/^-?\d{1,16}$/.test(s)) throw new ProtocolReject('ERR value is not an integer or out of range');
  return Number(s);
}

function sameMember(a: MemberRecord, b: MemberRecord): boolean {
  return a.id === b.id && a.runId === b.runId;
}
