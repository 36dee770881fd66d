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
// The state and the rules for changing it (leases, their expiry and what goes with them) are in
// local-coordinator-state.ts; every change is pushed to the watchers before the command that
// caused it is answered (or, for an expiry, from the timer callback): a watcher sees changes in
// the order they happened.
//
// Security (options): with a password, a connection must AUTH [<user>] <password> (user: the
// default one, or options.user) before anything but PING, which stays open for liveness probes
// and tells nothing; other commands answer -NOAUTH Authentication required. as Redis, a wrong
// password -WRONGPASS. With TLS options the port serves TLS only.

import net from 'node:net';
import tls from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import { COMMAND_READY, PROTOCOL_ERROR, QUERY_BUFFER_FULL, RequestParser, type CommandArgs } from '../protocol/request-parser.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { CoordinatorState, MAX_TTL_MS, MIN_TTL_MS, ProtocolReject, type StateSubject } from './local-coordinator-state.js';

interface Subject {
  topology: boolean;
  members: boolean;
  controller: boolean;
}

/** Runs the node processes (LocalCluster): what COORD INFO, SPAWN and STOPNODE ask of it. */
export interface NodeSupervisor {
  /** Field/value pairs for COORD INFO (replicas, host...). */
  info(): Array<[string, string]>;
  /** Starts a node process on the port; null once it answers PING, else why not. */
  spawn(role: 'primary' | 'replica', port: number): Promise<string | null>;
  /** Stops the node process on the port for good; null once it has exited, else why not. */
  stopNode(port: number): Promise<string | null>;
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

  /** The topology, members, controller and leases; each change is pushed to its watchers. */
  private readonly state = new CoordinatorState((subject) => this.pushChange(subject));
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
    this.state.clear();
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
          return this.bulkOrNil(this.state.topology?.json ?? null);
        case 'TOPOLOGY CAS':
          need(5);
          return w.integer(this.state.casTopology(int(arg(3)), arg(4)) ? 1 : 0);
        case 'LEASE GRANT': {
          need(4);
          const ttl = int(arg(3));
          if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) throw new ProtocolReject(`ERR ttl must be ${MIN_TTL_MS}-${MAX_TTL_MS} ms`);
          const lease = this.state.grant(ttl);
          w.array(2);
          w.bulk(lease.id);
          return w.integer(ttl);
        }
        case 'LEASE KEEPALIVE': {
          need(4);
          const lease = this.state.lease(arg(3));
          this.state.arm(lease);
          return w.integer(lease.ttlMs);
        }
        case 'LEASE REVOKE': {
          need(4);
          const lease = this.state.leases.get(arg(3));
          if (lease !== undefined) this.state.expire(lease);
          return w.integer(lease === undefined ? 0 : 1);
        }
        case 'MEMBER REGISTER': {
          need(5);
          const lease = this.state.lease(arg(3));
          this.state.register(lease, arg(4));
          return w.ok();
        }
        case 'MEMBER LIST':
          need(3);
          return this.writeMembers(w);
        case 'CONTROLLER CAMPAIGN': {
          need(5);
          const lease = this.state.lease(arg(3));
          return w.integer(this.state.campaign(lease, arg(4)) ? 1 : 0);
        }
        case 'CONTROLLER GET':
          need(3);
          return this.bulkOrNil(this.state.controller?.json ?? null);
        case 'CONTROLLER EVICT':
        case 'CONTROLLER RESIGN': {
          need(5);
          return w.integer(this.state.release(arg(3), arg(4), verb === 'CONTROLLER EVICT') ? 1 : 0);
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
    const placed = this.state.placement(port);
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

  private bulkOrNil(json: Buffer | null): void {
    if (json === null) this.writer.nil();
    else this.writer.bulkBytes(json);
  }

  private writeMembers(w: ReplyWriter): void {
    const members = this.state.members;
    const ids = [...members.keys()].sort();
    w.array(ids.length);
    for (const id of ids) w.bulkBytes(members.get(id)!.json);
  }

  private encodeTopologyPush(w: ReplyWriter): void {
    w.raw(PUSH2);
    w.bulk('topology');
    const topology = this.state.topology;
    if (topology === null) w.nil();
    else w.bulkBytes(topology.json);
  }

  private encodeMembersPush(w: ReplyWriter): void {
    w.raw(PUSH2);
    w.bulk('members');
    this.writeMembers(w);
  }

  private encodeControllerPush(w: ReplyWriter): void {
    w.raw(PUSH2);
    w.bulk('controller');
    const controller = this.state.controller;
    if (controller === null) w.nil();
    else w.bulkBytes(controller.json);
  }

  /** The state changed: push it to the connections watching the subject. */
  private pushChange(subject: StateSubject): void {
    if (subject === 'topology') this.pushTo('topology', (w) => this.encodeTopologyPush(w));
    else if (subject === 'members') this.pushTo('members', (w) => this.encodeMembersPush(w));
    else this.pushTo('controller', (w) => this.encodeControllerPush(w));
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
