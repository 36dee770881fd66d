// A corral node: its rooms wired together, client connections and their read/execute/write
// loop. Beside it: what it is made from (node-options.ts), its rooms' views of it
// (node-hosts.ts), its start and CORRAL JOIN (node-start.ts), the listeners (listeners.ts), the
// cron (node-cron.ts: active expiry, defragmentation, idle timeouts, ops/sec samples), the write
// fence (write-fence.ts), taking a topology (node-topology.ts), writes made outside a command's
// call (node-propagate.ts), client event records (client-events.ts), and closing a client or
// the node (node-close.ts).
//
// The hot path, per chunk read from a socket: feed the parser, run every complete command
// (replies accumulate in the node's shared ReplyWriter), then hand the socket everything in one
// write. No promise, closure or object is created per command.

import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { CommandContext } from '../commands/context.js';
import { CommandTable, type Command } from '../commands/table.js';
import { COMMAND_READY, NEED_MORE, PROTOCOL_ERROR, type CommandArgs } from '../protocol/request-parser.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { Store } from '../store/store.js';
import { CachedClock, systemClock } from '../util/clock.js';
import { attachReader } from './socket-reader.js';
import { createSocketWriter } from './socket-writer.js';
import { Client, REPLY_ON, REPLY_SKIP, REPLY_SKIP_NEXT, formatAddress } from './client.js';
import { Config, type ConfigValue } from './config.js';
import { aclFor } from './acl/registry.js';
import { USER_NOPASS } from './acl/user.js';
import { PROTECTED_MODE_DENIED, refusedByProtectedMode } from './protected-mode.js';
import { Listeners } from './listeners.js';
import { isTlsContextParam, linkSecurityOf } from './tls-config.js';
import type { LinkSecurity } from '../util/link-security.js';
import { call, dispatch, type DispatchHost } from './dispatch.js';
import { Slowlog } from './slowlog.js';
import type { LatencyMonitor } from './latency-monitor.js';
import { WatchRegistry } from './watch.js';
import { ClusterState } from './cluster-state.js';
import type { Logger } from '../util/log.js';
import { ClientEvents } from './client-events.js';
import type { ShardPlan } from '../cluster/plan.js';
import { NodeReplication } from './replication.js';
import type { ReplicationSource } from '../cluster/replication/source.js';
import type { TopologyDoc } from '../cluster/topology.js';
import type { Dialer, NodeAgent } from '../control/agent.js';
import type { NodeControlPlane } from './control-plane.js';
import { NodeMigration } from './migration.js';
import { PubSub } from './pubsub.js';
import { ClientOutput } from './client-output.js';
import { Tracking } from './tracking.js';
import { PubSubBus } from './pubsub-bus.js';
import { Scripting } from './scripting/scripting.js';
import { Functions } from './scripting/functions.js';
import { scriptHostFor } from './script-host.js';
import { Blocking } from './blocking.js';
import { blockingHostFor } from './blocking-host.js';
import { KeyspaceNotifier } from './keyspace-notify.js';
import { NodeStats } from './stats.js';
import type { LogLevel } from './server-core.js';
import { NodeCron } from './node-cron.js';
import { WriteFence } from './write-fence.js';
import { applyTopology } from './node-topology.js';
import { keepPushesOnly } from './node-words.js';
import type { ServerApi } from './server-api.js';
import { announceHost, commandContextFor, latencyMonitorFor, logAtLevel, nodeLogger, nodeStore, randomHex, registerCommands, staticShardsOf, type NodeOptions } from './node-options.js';
import { checkAclAtStartup, joinControlPlane, takeStartupRoles } from './node-start.js';
import { clientClosed, closeAfterReply, stopServing } from './node-close.js';
import { cronHostFor, fenceHostFor, followConfig, keyModifiedHook, pubSubBusHostFor, pubSubHostFor, trackingHostFor } from './node-hosts.js';
import { keyRemovedHook, propagateWords } from './node-propagate.js';

export type { NodeOptions } from './node-options.js';

/** A node; its command handlers see it as ServerApi (server-api.ts), its rooms as their hosts. */
export class CorralNode implements ServerApi, DispatchHost {
  readonly config: Config;
  /** The clock everything in the node reads: refreshed once per batch of commands. */
  readonly clock: CachedClock;
  readonly store: Store;
  readonly table = new CommandTable();
  readonly writer = new ReplyWriter();
  readonly ctx: CommandContext;
  readonly clients = new Map<number, Client>();
  readonly stats = new NodeStats();
  readonly slowlog: Slowlog;
  /** The latency monitor and latency-tracking settings (server/latency-monitor.ts). */
  readonly latency: LatencyMonitor;
  readonly watches: WatchRegistry;
  readonly runId: string;
  /** This node's view of the cluster, or null when cluster-enabled is no. */
  readonly cluster: ClusterState | null;
  /** Replication role, source and link (server/replication.ts). */
  readonly replication: NodeReplication;
  /** Where writes are propagated: the replication source while this node is a primary with one. */
  replStream: ReplicationSource | null = null;
  /** Slot moves (cluster mode only). */
  readonly migration: NodeMigration | null;
  /** Replies and pub/sub frames on their way out (server/client-output.ts). */
  readonly output: ClientOutput;
  /** CLIENT TRACKING: remembered keys and invalidation messages (server/tracking.ts). */
  readonly tracking: Tracking;
  /** Pub/sub subscriptions and delivery; in cluster mode, the bus to the other nodes. */
  readonly pubsub: PubSub;
  readonly pubsubBus: PubSubBus | null;
  /** Keyspace notifications (notify-keyspace-events). */
  readonly keyspaceNotifier: KeyspaceNotifier;
  /** min-replicas-to-write (0: writes need no replicas; see NodeReplication.writeQuorumRefusal). */
  minReplicasToWrite = 0;
  /** Set by a command that changes nothing but must reach the replicas (PUBLISH): see dispatch.call. */
  forcePropagation = false;
  /** Clients blocked on keys (BLPOP and friends) and serving them (server/blocking.ts). */
  readonly blocking: Blocking;
  /**
   * performance.now() after which writes are refused (the control plane's write lease, or a
   * pause for a manual failover); 0 when nothing fences this node (no control plane).
   */
  writeFence = 0;
  /** The Lua scripting engine (EVAL, FUNCTION), created when the node starts listening. */
  scripting: Scripting | null = null;
  /** Whether listen() starts the Lua VM (NodeOptions.scripting). */
  private readonly withScripting: boolean;
  /** FUNCTION libraries, on the scripting engine. */
  functions: Functions | null = null;
  /** The node's seat in the control plane, when it was started with a coordinator. */
  control: NodeControlPlane | null = null;
  slowlogThreshold: number;
  /** performance.now() at the end of the previous command in this batch (see dispatch.call). */
  lastTick = 0;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the cron's active expiry off; DEBUG PAUSE-CRON 1 the whole cron. */
  activeExpireEnabled = true;
  cronPaused = false;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS 1: scripts may call commands flagged noscript (Redis's script_disable_deny_script). */
  scriptDenyDisabled = false;
  private readonly listeners: Listeners;
  /** A static topology from the cluster-nodes parameter, applied once listening. */
  private readonly staticShards: ShardPlan[] | null;
  private nextClientId = 1;
  /** Active expiry, defragmentation, ops/sec samples, idle timeouts (node-cron.ts). */
  private readonly cron: NodeCron;
  /** The write lease and a manual failover's pause, combined into writeFence (write-fence.ts). */
  private readonly fence: WriteFence;
  shuttingDown = false;
  /** The node's structured log (util/log.ts): events on rare paths only, never per command. */
  readonly logger: Logger;
  private readonly log: (line: string) => void;
  /** Log records of clients' limits and protocol errors, capped per second (client-events.ts). */
  private readonly clientEvents: ClientEvents;
  /** See NodeOptions.dial. */
  readonly dial: Dialer | undefined;
  /** Resolves when the node has stopped (SHUTDOWN or close()). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;

  constructor(options: NodeOptions = {}) {
    this.config = new Config(options.config ?? {});
    this.clock = new CachedClock(options.clock ?? systemClock);
    this.stats.startedAt = this.clock.now();
    this.logger = nodeLogger(options, this.config);
    this.log = (line) => this.logger.info(line);
    this.clientEvents = new ClientEvents(this.logger, () => this.config.int('maxclients'));
    this.dial = options.dial;
    this.withScripting = options.scripting !== false;
    const clustered = this.config.get('cluster-enabled') === true;
    this.store = nodeStore(this.config, this.clock, clustered);
    this.cluster = clustered ? new ClusterState(announceHost(this.config)) : null;
    this.staticShards = staticShardsOf(this.config, clustered);
    this.ctx = commandContextFor(this.store, this.writer, this);
    this.slowlog = new Slowlog(this.clock);
    this.latency = latencyMonitorFor(this.config, this.clock);
    this.watches = new WatchRegistry(this);
    this.slowlogThreshold = this.config.int('slowlog-log-slower-than');
    this.runId = randomHex(40);
    registerCommands(this.table, options.commands);
    this.replication = new NodeReplication(this);
    this.migration = clustered ? new NodeMigration(this, () => this.linkSecurity('cluster')) : null;
    this.output = new ClientOutput(this.writer, this.stats, (client) => closeAfterReply(this, client));
    this.tracking = new Tracking(trackingHostFor(this));
    this.pubsub = new PubSub(pubSubHostFor(this, this.clientEvents));
    this.pubsubBus = clustered ? new PubSubBus(pubSubBusHostFor(this, this.log)) : null;
    this.keyspaceNotifier = new KeyspaceNotifier(this);
    this.blocking = new Blocking(blockingHostFor(this));
    this.blocking.onActiveChange = () => this.refreshKeyHook();
    this.listeners = new Listeners(this.config, (socket) => this.accept(socket), this.log);
    followConfig(this);
    this.cron = new NodeCron(cronHostFor(this));
    this.fence = new WriteFence(fenceHostFor(this));
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
  }

  /** Rebuilds the TLS listener's context from the configuration (config-apply.ts); null, or why not. */
  reloadTls(): string | null {
    return this.listeners.reloadTls();
  }

  /** The port peers and clients reach this node at (Listeners.announcedPort). */
  get port(): number {
    return this.listeners.announcedPort(this.cluster !== null);
  }

  /** The plain TCP port (0: none), INFO's tcp_port. */
  get plainPort(): number {
    return this.listeners.port;
  }

  /** How this node's links to other corral processes authenticate and whether they are TLS (tls-config.ts). */
  linkSecurity(kind: 'replication' | 'cluster'): LinkSecurity {
    return linkSecurityOf((name) => this.config.get(name), kind);
  }

  /**
   * Before CONFIG SET applies tls-* changes: null when the TLS context builds with `proposed`
   * in place, else why not (CONFIG SET then fails and changes nothing, as Redis's
   * "Unable to update TLS configuration").
   */
  tlsChangeError(proposed: Map<string, ConfigValue>): string | null {
    if (![...proposed.keys()].some(isTlsContextParam) || this.listeners.tlsPort === 0) return null;
    return Listeners.tlsError((name) => proposed.get(name) ?? this.config.get(name));
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    checkAclAtStartup(this);
    if (this.withScripting) {
      this.scripting ??= await Scripting.create(scriptHostFor(this), this.config.int('lua-memory-limit'));
      this.functions ??= new Functions(this.scripting);
    }
    await this.listeners.listen();
    this.cron.start(this.config.int('hz'));
    takeStartupRoles(this, this.staticShards);
    return this.port;
  }

  /**
   * A refused connection: its error, then closed both ways once that is out (as Redis closes it),
   * not half-closed: a peer that never reads would never see the FIN and close its side, and the
   * listener, whose close() waits for every connection, would keep a shutting-down node open for
   * good (test/integration/limits.test.ts reproduces it; a likely cause of the one CI run where
   * the controller-stopping partition test hung inside a node's close()). It still needs an error
   * listener: a peer's reset must not become an uncaught error.
   */
  private refuse(socket: net.Socket, reply: string): void {
    this.stats.rejectedConnections++;
    socket.on('error', () => {});
    socket.write(reply);
    socket.destroySoon();
  }

  private accept(socket: net.Socket): void {
    this.stats.connectionsReceived++;
    if (this.shuttingDown || this.clients.size >= this.config.int('maxclients')) {
      this.refuse(socket, '-ERR max number of clients reached\r\n');
      if (!this.shuttingDown) this.clientEvents.log({ addr: formatAddress(socket.remoteAddress, socket.remotePort) }, 'maxclients');
      return;
    }
    const acl = aclFor(this);
    if (refusedByProtectedMode(this.config.get('protected-mode') === true, (acl.defaultUser.flags & USER_NOPASS) !== 0, socket.remoteAddress)) {
      this.refuse(socket, PROTECTED_MODE_DENIED);
      return;
    }
    const client = new Client(
      this.nextClientId++,
      socket,
      { maxBulkLength: this.config.int('proto-max-bulk-len'), maxQueryBuffer: this.config.int('client-query-buffer-limit') },
      acl.defaultRequiresAuth,
      this.clock.now(),
    );
    client.user = acl.defaultUser;
    this.clients.set(client.id, client);
    // A TLS socket's handle is the TLS layer's (TLSWrap): it reads decrypted bytes into the shared
    // buffer as TCP's does, but takes one write at a time, so writes go through the socket's
    // stream, which queues them (a direct writer queueing them itself measured no better).
    if (!attachReader(socket, (buf, length) => this.onData(client, buf, length))) {
      socket.on('data', (chunk: Buffer) => this.onData(client, chunk, chunk.length));
    }
    client.directWriter = socket instanceof tls.TLSSocket ? null : createSocketWriter(socket, () => this.output.drained(client));
    socket.on('drain', () => this.output.drained(client));
    socket.on('error', () => this.dropClient(client));
    socket.on('close', () => this.dropClient(client));
  }

  /** The hot path: parse and run every complete command in a chunk, then write once. */
  private onData(client: Client, chunk: Buffer, length: number): void {
    if (client.closed || client.closeAfterReply) return;
    this.stats.netInputBytes += length;
    if (client.blocked) {
      // Read before the pause took effect: keep the bytes for when the client is unblocked.
      client.parser.feed(chunk, length);
      client.parser.preserve();
      return;
    }
    client.lastInteraction = this.clock.refresh();
    this.lastTick = performance.now();
    const w = this.writer;
    w.begin();
    w.resp = client.resp;
    client.parser.feed(chunk, length);
    this.runCommands(client);
  }

  /** Runs every complete command the client's parser holds, then queues the replies. */
  private runCommands(client: Client): void {
    const w = this.writer;
    const parser = client.parser;
    let r: number;
    while ((r = parser.next()) === COMMAND_READY) {
      if (client.replyMode !== REPLY_ON) this.dispatchQuietly(client, parser);
      else dispatch(this, client, parser);
      if (this.blocking.hasReady) this.serveBlocked(client);
      if (client.closeAfterReply) break;
      if (this.output.limit > 0 && w.pendingBytes + client.pendingOutput > this.output.limit) {
        w.discard();
        this.clientEvents.log(client, 'output-buffer');
        this.replStream?.endRead();
        this.closeClient(client);
        return;
      }
      if (client.blocked) {
        // WAIT and friends: the rest of what was read runs once the client is unblocked.
        parser.preserve();
        break;
      }
    }
    // The requests just run may lie in the shared read buffer: the stream copies them now.
    this.replStream?.endRead();
    if (r === PROTOCOL_ERROR) {
      w.error(`ERR ${parser.error}`);
      client.closeAfterReply = true;
      this.clientEvents.log(client, null, parser.error);
    } else if (r !== NEED_MORE && r !== COMMAND_READY) {
      this.clientEvents.log(client, 'query-buffer');
      w.discard();
      this.closeClient(client);
      return;
    }
    this.output.queueReplies(client);
  }

  /**
   * After a command that wrote keys some clients wait on: the client's replies so far are queued
   * first (the writer then serves the waiters one by one), then its next commands go on.
   */
  private serveBlocked(client: Client): void {
    this.output.queueReplies(client);
    // Waiters are served at the time they are served, as Redis updates its cached time before
    // handleClientsBlockedOnKeys: a key whose TTL passed during the command (a MULTI with DEBUG
    // SLEEP) is expired then, and its waiters stay blocked.
    this.clock.refresh();
    this.blocking.serveReady();
    this.lastTick = performance.now();
    this.writer.begin();
    this.writer.resp = client.resp;
  }

  /**
   * A command of a client with CLIENT REPLY OFF or SKIP: its reply is dropped unless the command
   * turned replies back on (CLIENT REPLY ON answers OK). SKIP covers the command after CLIENT REPLY
   * SKIP. Pushes written to other clients are not affected.
   */
  private dispatchQuietly(client: Client, args: CommandArgs): void {
    if (client.replyMode === REPLY_SKIP_NEXT) client.replyMode = REPLY_SKIP;
    const w = this.writer;
    const at = w.pendingBytes;
    w.pushStarts = [];
    dispatch(this, client, args);
    const pushes = w.pushStarts;
    w.pushStarts = null;
    if (client.replyMode !== REPLY_ON) keepPushesOnly(w, at, pushes);
    if (client.replyMode === REPLY_SKIP) client.replyMode = REPLY_ON;
  }

  /** Runs what a client sent while it was blocked on keys (server/blocking.ts). */
  runPending(client: Client): void {
    client.lastInteraction = this.clock.refresh();
    this.lastTick = performance.now();
    this.writer.begin();
    this.writer.resp = client.resp;
    this.runCommands(client);
  }

  /** Stops running a client's commands (its reply comes later: see unblockClient). */
  blockClient(client: Client): void {
    client.blocked = true;
    if (!client.paused) client.socket.pause();
  }

  /** Writes a blocked client's deferred reply, then runs what it sent meanwhile. */
  unblockClient(client: Client, reply: (client: Client) => void): void {
    if (!client.blocked || client.closed) return;
    client.blocked = false;
    client.lastInteraction = this.clock.refresh();
    this.lastTick = performance.now();
    const w = this.writer;
    w.begin();
    w.resp = client.resp;
    reply(client);
    if (this.blocking.hasReady) this.serveBlocked(client);
    this.runCommands(client);
    if (!client.blocked && !client.paused && !client.closed) client.socket.resume();
  }

  /** A command's handler: replicate this call as these words instead (see dispatch.call). */
  propagateInstead(words: string[]): void {
    this.ctx.replicateAs = words;
  }

  /** Runs a command as `client` (EXEC's queued commands, a replication or import stream). */
  call(client: Client, cmd: Command, args: CommandArgs): void {
    call(this, client, cmd, args);
  }

  /** Replicates a write made outside a command's call, given as a command's words (node-propagate.ts). */
  propagateWords(db: number, words: string[]): void {
    propagateWords(this, db, words);
  }

  /** Sends a client's replies so far at once (before raw bytes follow them: PSYNC). */
  writeNow(client: Client): void {
    this.output.writeNow(client);
  }

  /** Writes bytes of the node's own (the replication stream to a replica); returns whether the kernel took all of them at once. */
  writeRaw(client: Client, buf: Buffer): boolean {
    if (client.closed) return true;
    return this.output.write(client, buf);
  }

  /** Applies a topology document (if newer) and takes the role it gives this node (node-topology.ts). */
  applyTopology(doc: TopologyDoc): boolean {
    return applyTopology(this, doc);
  }

  /**
   * The store tells the node of every key change (writes, expiry, eviction, flushes) while some
   * key is WATCHed or some client tracks keys; otherwise writes pay nothing for it.
   */
  refreshKeyHook(): void {
    this.store.setKeyModifiedHook(this.watches.active || this.tracking.active || this.blocking.active ? this.keyModifiedBound : null);
  }

  private readonly keyModifiedBound = keyModifiedHook(this);

  /** Expiry and eviction reach the replicas (primary) and the importers of exported slots. */
  rewireKeyRemoved(): void {
    this.store.onKeyRemoved = keyRemovedHook(this);
  }

  /** CORRAL JOIN: starts the control plane with a coordinator; null, or why not (node-start.ts). */
  joinControlPlane(spec: string, clusterName: string): string | null {
    return joinControlPlane(this, this.listeners, spec, clusterName);
  }

  /** The control-plane agent, or null without a coordinator. */
  get agent(): NodeAgent | null {
    return this.control?.agent ?? null;
  }

  /** A grant from the controller: writes are taken until `until` (performance.now()). */
  setLeaseFence(until: number): void {
    this.fence.setLease(until);
  }

  /** Refuses writes for ms (a manual failover's pause; 0 resumes). Returns the offset reached. */
  pauseWrites(ms: number): number {
    return this.fence.pause(ms);
  }

  /** Connections that asked to be told of topology changes (CORRAL WATCHTOPOLOGY). */
  readonly topologyWatchers = new Set<Client>();

  logLine(line: string): void {
    this.logger.info(line);
  }

  /** A line at a Redis log level: debug and verbose lines only at loglevel verbose or debug (notice: always). */
  logAt(level: LogLevel, line: string): void {
    logAtLevel(this.logger, level, line);
  }

  /**
   * A line logged only at loglevel verbose or debug: the per-slot lines of a move (five per slot,
   * 20,000 for an add-shard's 4,096 slots, each relayed by `corral up`, cost ~3% of a source's
   * CPU during the move; the mover's per-batch lines say the same at notice).
   */
  logVerbose(line: string): void {
    this.logger.verbose(line);
  }

  closeClient(client: Client): void {
    client.socket.destroy();
    this.dropClient(client);
  }

  /** The node and its rooms forget a closed client (node-close.ts). */
  private dropClient(client: Client): void {
    clientClosed(this, client);
  }

  /** instantaneous_ops_per_sec over the recent cron samples. */
  get opsPerSecond(): number {
    return this.cron.opsPerSecond;
  }

  /**
   * Graceful stop: stop accepting, let replies already written reach their clients, close.
   */
  async close(): Promise<void> {
    this.scripting?.close();
    if (this.shuttingDown) return this.stopped;
    this.shuttingDown = true;
    this.cron.stop();
    await stopServing(this, this.listeners);
    this.resolveStopped();
  }
}
