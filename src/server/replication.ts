// A node's replication role and its surfaces: which role it plays (primary, or replica of a
// host:port), the source that streams its writes to replicas (cluster/replication/source.ts),
// the link that applies its primary's stream (cluster/replication/link.ts), and what clients see
// of them: PSYNC and REPLCONF from replicas, WAIT and the offset waits behind read-your-writes
// (replication-wait.ts), ROLE and INFO's replication section (replication-report.ts).
//
// Roles change in one place (becomePrimary / becomeReplicaOf), whether REPLICAOF asked for it or
// the cluster's topology did. A demoted primary keeps its replication id and offset and asks its
// new primary to continue from them (PSYNC2): if the new primary's history contains them (it was
// this node's replica and has everything this node wrote) the stream resumes; if this node wrote
// what the new primary never received, the new primary answers with a full copy and those writes
// are dropped — that is the loss docs/replication.md counts.

import { performance } from 'node:perf_hooks';
import type { CommandArgs } from '../protocol/request-parser.js';
import { CommandTable } from '../commands/table.js';
import { latin1, parseInteger } from '../util/bytes.js';
import { ReplicationSource, newReplicationId, type ReplicaConnection } from '../cluster/replication/source.js';
import { ReplicationLink, type ReplicaHost } from '../cluster/replication/link.js';
import type { LinkSecurity } from '../util/link-security.js';
import { internalClient, type Client } from './client.js';
import { REPLICA_RDB_ONLY, replicaRdb } from './replica-rdb.js';
import type { Dialer, NodeAgent } from '../control/agent.js';
import type { Blocking } from './blocking.js';
import type { Functions } from './scripting/functions.js';
import type { ServerCore } from './server-core.js';
import { OffsetWaits } from './replication-wait.js';
import { replicationInfo, writeRole } from './replication-report.js';

/** The most keys a full copy's size hint (CORRAL RESERVE) makes room for in advance. */
const MAX_RESERVED_KEYS = 1 << 26;

/** What replication needs of its node (CorralNode implements it). */
export interface ReplicationHost extends ServerCore {
  readonly blocking: Blocking;
  /** FUNCTION libraries, sent ahead of a full copy. */
  readonly functions: Functions | null;
  /** The control-plane agent, or null without a coordinator. */
  readonly agent: NodeAgent | null;
  /** Rewrites the primary's address (tests route it through a proxy). */
  readonly dial: Dialer | undefined;
  readonly port: number;
  /** How links to other corral processes authenticate and whether they are TLS. */
  linkSecurity(kind: 'replication' | 'cluster'): LinkSecurity;
}

export class NodeReplication implements ReplicaHost {
  role: 'master' | 'slave' = 'master';
  masterHost = '';
  masterPort = 0;
  /** The stream this node writes (as primary) and the backlog it keeps (either role). */
  source: ReplicationSource | null = null;
  link: ReplicationLink | null = null;
  private readonly masterClient: Client;
  /** Clients blocked in WAIT or WAITOFFSET (replication-wait.ts). */
  private readonly waits: OffsetWaits;
  private pingTimer: NodeJS.Timeout | null = null;
  /** Clients attached as replicas, by client id. */
  private readonly replicaConns = new Map<number, ReplicaConnection>();

  constructor(private readonly node: ReplicationHost) {
    this.masterClient = internalClient('master');
    this.waits = new OffsetWaits(node, this);
  }

  /** The source writes go to: set only while this node is a primary. */
  private setPropagating(): void {
    this.node.replStream = this.role === 'master' ? this.source : null;
    this.node.rewireKeyRemoved();
  }

  private ensureSource(): ReplicationSource {
    if (this.source === null) {
      this.source = new ReplicationSource({
        store: this.node.store,
        backlogSize: this.node.config.int('repl-backlog-size'),
        log: (l, fields) => this.log(l, fields),
        // A replica's full copy starts with the primary's function libraries (FUNCTION RESTORE
        // ... FLUSH), as Redis's RDB carries them.
        fullCopyPreamble: () => (this.node.functions === null ? null : encodeCommand(['FUNCTION', 'RESTORE', this.node.functions.dump(), 'FLUSH'])),
      });
      // The history keeps the id the node has reported so far (INFO, the control plane's
      // renewals), as Redis's server.replid exists from startup: with a fresh id here, a primary
      // killed after its first replica's copy but before its next renewal left the controller
      // expecting an id no replica followed, so it blocked the failover and the restarted, empty
      // primary took the shard back (its replica then copied the empty keyspace).
      this.source.replid = this.idleReplid;
      // Not inside the replica's batch (REPLCONF ACK): unblocking writes another client's reply.
      this.source.onAck = () => this.waits.checkSoon();
      this.setPropagating();
    }
    return this.source;
  }

  resizeBacklog(bytes: number): void {
    this.source?.backlog.resize(bytes);
  }

  // ---- roles ----

  /**
   * Under a control plane: whether the controller has granted this node a write lease since it
   * last became primary (see psync).
   */
  confirmed = false;
  /**
   * Whether this process holds the shard's data: it finished a copy as a replica, or was granted
   * a lease as a primary. A process starts empty (corral keeps nothing on disk).
   */
  hasData = false;
  /** Times this node went from replica to primary (a failover, or REPLICAOF NO ONE): a metric. */
  promotions = 0;

  /** REPLICAOF NO ONE, or a topology that names this node primary. */
  becomePrimary(): void {
    if (this.role === 'master') return;
    this.promotions++;
    this.confirmed = false;
    this.link?.stop();
    this.link = null;
    this.role = 'master';
    this.masterHost = '';
    this.masterPort = 0;
    const s = this.source;
    if (s !== null) {
      // PSYNC2: keep answering for the old history up to here, under a new id from now on.
      s.replid2 = s.replid;
      s.secondReplOffset = s.offset + 1;
      s.replid = newReplicationId();
      s.resetSelect();
    }
    this.node.store.replicaMode = false;
    this.startPings();
    this.setPropagating();
    this.log(`now a primary${s === null ? '' : ` (replication id ${s.replid}, offset ${s.offset})`}`);
  }

  /** REPLICAOF host port, or a topology that names this node a replica. */
  becomeReplicaOf(host: string, port: number): void {
    if (this.role === 'slave' && this.masterHost === host && this.masterPort === port) return;
    this.link?.stop();
    const s = this.ensureSource();
    s.closeAll();
    this.role = 'slave';
    this.masterHost = host;
    this.masterPort = port;
    this.node.store.replicaMode = true;
    this.stopPings();
    this.setPropagating();
    this.waits.failAll();
    this.node.blocking.roleChanged();
    const to = this.node.dial?.(host, port) ?? { host, port };
    const link = new ReplicationLink(this, to.host, to.port, { replid: s.replid, offset: s.offset }, {
      listeningPort: this.node.port,
      timeoutMs: this.node.config.int('repl-timeout') * 1000,
      security: this.node.linkSecurity('replication'),
    });
    link.onOffset = () => {
      if (this.waits.pending) this.waits.check();
    };
    this.link = link;
    link.start();
    this.log(`replicating from ${host}:${port}`);
  }

  private startPings(): void {
    if (this.pingTimer !== null) return;
    // Corral's replicas get a PING every second: their link timeout wants a heartbeat. Without
    // one of them attached (only SYNC readers, redis-server replicas), a PING every
    // repl-ping-replica-period seconds as Redis sends it (the Tcl suite sets 3600 while it reads
    // a stream, expecting no PING in it).
    let lastPing = Date.now();
    this.pingTimer = setInterval(() => {
      const s = this.source;
      if (s === null || s.replicas.length === 0) return;
      const now = Date.now();
      const period = this.node.config.int('repl-ping-replica-period') * 1000;
      if (now - lastPing + 100 < period && !s.replicas.some((r) => r.conn.rdb === null)) return;
      lastPing = now;
      s.emit('PING');
    }, 1000);
    this.pingTimer.unref();
  }

  private stopPings(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  close(): void {
    this.link?.stop();
    this.stopPings();
    this.waits.close();
  }

  // ---- ReplicaHost: applying the primary's stream ----

  /**
   * A read of the primary's stream begins: keys do not expire while it is applied (the primary
   * decides expiry), and replies are collected only to be dropped at endBatch.
   */
  beginBatch(): void {
    const node = this.node;
    node.store.ignoreExpiry = true;
    node.clock.refresh();
    node.lastTick = performance.now();
    node.writer.begin();
  }

  endBatch(): void {
    this.node.writer.discard();
    this.node.store.ignoreExpiry = false;
  }

  apply(args: CommandArgs): void {
    const node = this.node;
    const top = node.table.lookupTop(args);
    const cmd = top === undefined ? null : CommandTable.resolve(top, args);
    if (cmd === null) {
      this.log(`replication stream: unknown command ${latin1(args.buf, args.start[0], args.end[0])}`);
      return;
    }
    node.call(this.masterClient, cmd, args);
    // Replies would pile up over a long batch (a full copy): drop them as they come.
    node.writer.discard();
  }

  load(args: CommandArgs): number {
    const dbs = this.node.store.dbs;
    const db = parseInteger(args.buf, args.start[2], args.end[2]);
    if (db === undefined || db < 0 || db >= dbs.length || (args.argc - 3) % 3 !== 0) throw new Error('bad CORRAL LOAD in the snapshot');
    const keyspace = dbs[db];
    const b = args.buf;
    for (let i = 3; i < args.argc; i += 3) {
      const at = parseInteger(b, args.start[i + 2], args.end[i + 2]);
      if (at === undefined || at < 0) throw new Error('bad expiry time in the snapshot');
      keyspace.setStringBytes(b, args.start[i], args.end[i], b, args.start[i + 1], args.end[i + 1], at);
    }
    return (args.argc - 3) / 3;
  }

  reserve(args: CommandArgs): void {
    const dbs = this.node.store.dbs;
    const db = parseInteger(args.buf, args.start[2], args.end[2]);
    const keys = parseInteger(args.buf, args.start[3], args.end[3]);
    if (db === undefined || db < 0 || db >= dbs.length || keys === undefined || keys < 0) throw new Error('bad CORRAL RESERVE in the snapshot');
    // A hint: past the bound the table grows as keys come, as it would without it.
    dbs[db].reserve(Math.min(keys, MAX_RESERVED_KEYS));
  }

  resetDataset(): void {
    this.node.store.flushAll();
    this.masterClient.db = 0;
  }

  applied(buf: Buffer, start: number, end: number, offset: number): void {
    const s = this.source!;
    s.backlog.append(buf, start, end);
    if (s.backlog.offset !== offset) s.backlog.reset(offset);
  }

  stateChanged(): void {
    const link = this.link;
    if (link === null || this.source === null) return;
    if (link.state === 'connected') this.hasData = true;
    // After a full copy the backlog restarts at the copy's offset, under the primary's id.
    if (link.state === 'sync' || (link.state === 'connected' && this.source.replid !== link.replid)) {
      this.source.replid = link.replid;
      this.source.backlog.reset(link.offset);
      this.source.replid2 = '0000000000000000000000000000000000000000';
      this.source.secondReplOffset = -1;
    }
  }

  log(line: string, fields?: Record<string, unknown>): void {
    if (fields === undefined) this.node.logger.info(line);
    else this.node.logger.info(fields, line);
  }

  /** Serving reads on a replica: refused while a full copy is being loaded. */
  get loading(): boolean {
    return this.link !== null && this.link.state === 'sync';
  }

  /**
   * A replica whose link to its primary is not up (Redis: masterhost set and repl_state not
   * CONNECTED), so its data may be stale: with replica-serve-stale-data no it refuses commands.
   */
  get stale(): boolean {
    return this.role === 'slave' && (this.link === null || this.link.state !== 'connected');
  }

  /** The offset this node has: its stream's (primary) or what it applied (replica). */
  get offset(): number {
    if (this.role === 'slave' && this.link !== null) return Math.max(0, this.link.offset);
    return this.source?.offset ?? 0;
  }

  /** The offset whose writes this node has applied: none while a full copy is being loaded. */
  get appliedOffset(): number {
    return this.link !== null && this.link.state === 'sync' ? -1 : this.offset;
  }

  get replid(): string {
    return this.source?.replid ?? this.idleReplid;
  }

  /** The id INFO shows before any replication happened. */
  private readonly idleReplid = newReplicationId();

  // ---- the primary's side: replicas attaching ----

  /**
   * PSYNC <replid> <offset>, or SYNC (`legacy`). A replica that did not announce `capa
   * corral-load` is not corral's: its full copy is an RDB file (replica-rdb.ts).
   */
  psync(client: Client, replid: string, wantOffset: number, legacy = false): void {
    if (this.role === 'slave') {
      this.node.writer.error('ERR corral does not chain replicas: replicate from the primary');
      return;
    }
    // Under a control plane, a node the topology names primary serves replicas only once the
    // controller has granted it a write lease as such. A process restarted empty that finds
    // itself primary in the document must not copy its empty dataset over the replica that
    // holds the shard's data: the controller fails the shard over to that replica instead.
    if (this.node.agent !== null && !this.confirmed) {
      this.node.writer.error('NOTREADY this primary has no write lease from the controller yet');
      return;
    }
    const node = this.node;
    // Whatever was answered before (PING, REPLCONF) goes first.
    node.writeNow(client);
    const s = this.ensureSource();
    this.startPings();
    const conn: ReplicaConnection = {
      id: client.id,
      ip: client.addr.slice(0, client.addr.lastIndexOf(':')).replace(/^\[|\]$/g, ''),
      write: (buf) => node.writeRaw(client, buf),
      bulkLoad: client.replicaBulkLoad,
      rdb: client.replicaBulkLoad ? null : (id, offset) => replicaRdb({ store: node.store, functions: node.functions, policy: node.config.str('maxmemory-policy') }, client.replicaReq, id, offset),
      get pendingBytes() {
        return client.pendingOutput;
      },
      close: () => node.closeClient(client),
    };
    client.replica = true;
    this.replicaConns.set(client.id, conn);
    s.attach(conn, replid, wantOffset, client.replicaListeningPort, legacy);
    if ((client.replicaReq & REPLICA_RDB_ONLY) !== 0 && !client.replicaBulkLoad) {
      // REPLCONF rdb-only: the file and nothing after it; the connection closes once it is sent.
      this.replicaGone(client);
      client.replica = false;
      client.closeAfterReply = true;
    }
  }

  replicaGone(client: Client): void {
    const conn = this.replicaConns.get(client.id);
    if (conn === undefined) return;
    this.replicaConns.delete(client.id);
    this.source?.detach(conn);
    this.source?.onAck?.();
  }

  ack(client: Client, offset: number): void {
    const conn = this.replicaConns.get(client.id);
    if (conn !== undefined) this.source?.ack(conn, offset);
  }

  // ---- WAIT and WAITOFFSET ----

  /** WAIT numreplicas timeout: replies now, or blocks the client until enough acks or the timeout. */
  wait(client: Client, replicas: number, timeoutMs: number): void {
    this.waits.wait(client, replicas, timeoutMs);
  }

  /** CORRAL WAITOFFSET offset timeout: this node's offset once it applied `offset`, else STALE (replication-wait.ts). */
  waitOffset(client: Client, offset: number, timeoutMs: number): void {
    this.waits.waitOffset(client, offset, timeoutMs);
  }

  /**
   * min-replicas-to-write: the refusal of a write while too few replicas are online with a recent
   * enough acknowledgement (Redis's checkGoodReplicasStatus), or null. A replica takes its
   * primary's writes regardless.
   */
  writeQuorumRefusal(): string | null {
    const min = this.node.config.int('min-replicas-to-write');
    const maxLag = this.node.config.int('min-replicas-max-lag');
    if (min === 0 || maxLag === 0 || this.role !== 'master') return null;
    const now = Date.now();
    let good = 0;
    for (const r of this.source?.replicas ?? []) if (r.state === 'online' && Math.floor((now - r.ackAt) / 1000) <= maxLag) good++;
    return good >= min ? null : 'NOREPLICAS Not enough good replicas to write.';
  }

  // ---- reports ----

  /** INFO's replication section. */
  info(): string {
    return replicationInfo(this, this.node.config);
  }

  /** ROLE's reply. */
  writeRole(): void {
    writeRole(this.node.writer, this);
  }
}

/** A command as RESP (a multibulk of bulk strings). */
function encodeCommand(parts: Array<string | Buffer>): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p) : p;
    chunks.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(chunks);
}
