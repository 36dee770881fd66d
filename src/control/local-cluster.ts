// The local cluster behind `corral up`: a whole cluster on one machine. It runs the local
// coordinator (local-coordinator-server.ts) in this process, writes the first topology document
// (the ring's slot table over `shards` primaries, each with `replicas` replicas: epoch 1), and
// starts one node process per node on consecutive ports — primaries first, then the replicas —
// each pointed at the coordinator. From then on the nodes run the cluster themselves: they elect
// a controller among them, renew their write leases with it, and follow the topology it writes.
// This process restarts a node process that dies, on the same port; the restarted node finds
// itself a replica in the current topology (its shard failed over while it was gone) and copies
// its data back from its new primary.
//
// It is also the coordinator's supervisor (NodeSupervisor): `corral cluster add-shard --spawn`
// asks, through COORD SPAWN, for more node processes, started with the same flags and restarted
// like the first ones, and `remove-shard` through COORD STOPNODE stops the retired ones for good.
//
// Secured (`corral up --requirepass / --tls`): every node gets requirepass and masterauth (its
// links to the others authenticate as the default user), the coordinator the same password; with
// TLS every node serves TLS only (tls-port on the node's port, port 0) with tls-cluster and
// tls-replication, and the coordinator serves TLS too. This process reaches both with the
// password and the client certificate (LinkSecurity: util/link-security.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import type { LinkSecurity } from '../util/link-security.js';
import { planTopology } from '../cluster/plan.js';
import type { TopologyDoc } from '../cluster/topology.js';
import { callNode, fieldPairs, waitForNode } from './node-link.js';
import { reachableHost } from '../util/address.js';
import { LocalCoordinatorServer, type NodeSupervisor } from './local-coordinator-server.js';
import { LocalCoordinator } from './local-coordinator.js';
import { formatJsonLine } from '../util/log.js';

export interface LocalClusterOptions {
  shards: number;
  /** Replicas per shard. */
  replicas?: number;
  /** Port of the first node; the others follow consecutively. */
  port: number;
  host: string;
  /** How to start a node: the executable, the arguments before node flags (`server`), and its environment (default: this process's). */
  nodeCommand: { file: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Extra `--name value` flags for every node (maxmemory, policy...). */
  nodeFlags?: string[];
  vnodes?: number;
  /** Each node serves /metrics on its port plus this (corral up; docs/operations.md#metrics); unset: none. */
  metricsPortOffset?: number;
  /** Restart a node process that dies (corral up does; tests that kill nodes may not). */
  restart?: boolean;
  /** Every node's requirepass and masterauth, and the coordinator's password. */
  requirepass?: string;
  /** TLS on every port and link, with these certificate files (util/x509.ts generateDevCertificates). */
  tls?: LocalClusterTls;
  log: (line: string) => void;
  /**
   * Each line a node process prints (its log records: JSON lines, util/log.ts), whole; default:
   * log(`[port] line`).
   */
  nodeOutput?: (node: LocalNodeProcess, line: string, stream: 'stdout' | 'stderr') => void;
}

export interface LocalClusterTls {
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** What this process (and the printed redis-cli line) presents to the nodes. */
  clientCert: string;
  clientKey: string;
  /** The nodes' and the coordinator's tls-auth-clients (default yes: clients need a certificate). */
  authClients?: 'yes' | 'no' | 'optional';
}

export interface LocalNodeProcess {
  /** The address the node announces (and is reached at): the bind address, or loopback for a wildcard bind. */
  host: string;
  port: number;
  child: ChildProcess;
  exited: boolean;
  restarts: number;
  /** Started by COORD SPAWN and not yet answering: if it exits now, the spawn failed (no restart). */
  starting?: boolean;
  /** Stopped for good (COORD STOPNODE, or a failed spawn): never restarted. */
  removed?: boolean;
  /** The last lines it printed (a failed spawn's reason). */
  tail?: string[];
}

export class LocalCluster implements NodeSupervisor {
  readonly nodes: LocalNodeProcess[] = [];
  topology: TopologyDoc | null = null;
  private coordinatorServer: LocalCoordinatorServer | null = null;
  /** "host:port" of the coordinator the nodes use. */
  coordinatorAddress = '';
  private stopping = false;
  /** Called when a node process exits while the cluster is meant to be running. */
  onNodeExit: ((node: LocalNodeProcess, code: number | null, signal: string | null) => void) | null = null;
  /** Called when a dead node process is started again. */
  onNodeRestart: ((node: LocalNodeProcess) => void) | null = null;
  /** How this process reaches the nodes and the coordinator. */
  readonly security: LinkSecurity;

  constructor(private readonly options: LocalClusterOptions) {
    this.security = clientSecurity(options);
    const replicas = options.replicas ?? 0;
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > 1000) throw new RangeError('shards must be an integer from 1 to 1000');
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 10) throw new RangeError('replicas must be an integer from 0 to 10');
    const count = options.shards * (1 + replicas);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port + count - 1 > 65535) throw new RangeError('ports must lie between 1 and 65535');
  }

  get size(): number {
    return this.options.shards * (1 + (this.options.replicas ?? 0));
  }

  /** Replicas each shard started with (COORD SPAWN's caller gives a new shard as many). */
  get replicasPerShard(): number {
    return this.options.replicas ?? 0;
  }

  /** Starts the coordinator and every node, writes the first topology, waits until all answer. */
  async start(): Promise<TopologyDoc> {
    const { shards, port, host } = this.options;
    const replicas = this.options.replicas ?? 0;
    const announce = reachableHost(host);
    const server = new LocalCoordinatorServer({ password: this.options.requirepass, tls: coordinatorTls(this.options.tls) });
    this.coordinatorServer = server;
    const cport = await server.start('127.0.0.1', 0);
    server.supervisor = this;
    this.coordinatorAddress = `127.0.0.1:${cport}`;
    const plan = Array.from({ length: shards }, (_, i) => ({
      nodes: [{ host: announce, port: port + i }, ...Array.from({ length: replicas }, (_, r) => ({ host: announce, port: port + shards + r * shards + i }))],
    }));
    const doc = planTopology(plan, { epoch: 1, vnodes: this.options.vnodes });
    const coordinator = new LocalCoordinator(this.coordinatorAddress, { security: this.security });
    try {
      if (!(await coordinator.casTopology(0, doc))) throw new Error('the coordinator already holds a topology');
    } finally {
      await coordinator.close();
    }
    this.topology = doc;
    for (let i = 0; i < this.size; i++) this.spawnNode(host, announce, port + i);
    // 30 s: on a loaded 2-core machine six node processes have been seen to take over 10 s to listen.
    await Promise.all(this.nodes.map((n) => waitForNode(n.host, n.port, 30_000, this.security)));
    await this.waitReady(30_000);
    return doc;
  }

  /**
   * Waits until the cluster serves: a controller is elected, every primary holds its write
   * lease, and every replica has finished its first copy.
   */
  async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(this.nodes.map((n) => this.nodeReady(n).catch(() => false)));
      if (states.every(Boolean)) return;
      if (Date.now() > until) throw new Error('the cluster did not become ready (a controller, every primary\'s write lease, every replica in sync)');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async nodeReady(n: LocalNodeProcess): Promise<boolean> {
    const r = await callNode(n.host, n.port, ['CORRAL', 'CONTROL'], 1000, this.security);
    if (!Array.isArray(r)) return false;
    const f = fieldPairs(r);
    if (f.get('controller') === '' || f.get('epoch') === '0') return false;
    if (f.get('role') === 'primary') return Number(f.get('lease_ms_left')) > 0;
    const info = await callNode(n.host, n.port, ['INFO', 'replication'], 1000, this.security);
    const text = typeof info === 'string' ? info : '';
    return text.includes('master_link_status:up');
  }

  private nodeArgs(bind: string, host: string, port: number): string[] {
    const { nodeCommand, nodeFlags = [], requirepass, tls: t } = this.options;
    const secured: string[] = [];
    if (requirepass !== undefined) secured.push('--requirepass', requirepass, '--masterauth', requirepass);
    if (t !== undefined) {
      secured.push('--tls-cert-file', t.serverCert, '--tls-key-file', t.serverKey, '--tls-ca-cert-file', t.caCert);
      secured.push('--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-auth-clients', t.authClients ?? 'yes');
    }
    return [
      ...nodeCommand.args,
      '--bind', bind,
      '--cluster-announce-ip', host,
      ...(t !== undefined ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]),
      '--cluster-enabled', 'yes',
      '--coordinator', `local:${this.coordinatorAddress}`,
      '--cluster-shards', String(this.options.shards),
      ...secured,
      ...(this.options.metricsPortOffset !== undefined && port + this.options.metricsPortOffset <= 65535 ? ['--metrics-port', String(port + this.options.metricsPortOffset)] : []),
      ...nodeFlags,
    ];
  }

  /** COORD INFO. */
  info(): Array<[string, string]> {
    return [
      ['replicas', String(this.replicasPerShard)],
      ['host', reachableHost(this.options.host)],
      ['shards', String(this.options.shards)],
      ['nodes', String(this.nodes.length)],
      ['ports', this.nodes.map((n) => n.port).join(',')],
    ];
  }

  /** COORD SPAWN: one more node process, on `port`; null once it answers PING, else why not. */
  async spawn(role: 'primary' | 'replica', port: number): Promise<string | null> {
    if (this.stopping || this.coordinatorServer === null) return 'the cluster is not running';
    if (!Number.isInteger(port) || port < 1 || port > 65535) return 'the port must be 1-65535';
    if (this.nodes.some((n) => n.port === port)) return `port ${port} already runs a node of this cluster`;
    const { host: bind } = this.options;
    // Something else answering there would pass for the new node.
    if (await accepts(reachableHost(bind), port)) return `port ${port} is in use`;
    const node = this.spawnNode(bind, reachableHost(bind), port, undefined, true);
    const exited = new Promise<string>((resolve) => {
      node.child.once('exit', (code, signal) => resolve(`the node process on port ${port} exited (${signal ?? `code ${code}`}) before answering: ${(node.tail ?? []).join(' | ') || 'no output'}`));
    });
    const answered = waitForProcess(node.host, port, node.child.pid ?? -1, 20_000, this.security).then(
      () => null,
      (err: Error) => `the node process on port ${port} does not answer: ${err.message}`,
    );
    const why = await Promise.race([answered, exited]);
    if (why !== null) {
      await this.remove(node);
      return why;
    }
    node.starting = false;
    this.options.log(`node ${node.host}:${port} started (pid ${node.child.pid}) as a new ${role}`);
    return null;
  }

  /** COORD STOPNODE: stops the node process on `port` for good; null once it has exited. */
  async stopNode(port: number): Promise<string | null> {
    const node = this.nodes.find((n) => n.port === port);
    if (node === undefined) return `no node process of this cluster on port ${port}`;
    await this.remove(node);
    this.options.log(`node ${node.host}:${port} stopped for good`);
    return null;
  }

  private async remove(node: LocalNodeProcess): Promise<void> {
    node.removed = true;
    const i = this.nodes.indexOf(node);
    if (i >= 0) this.nodes.splice(i, 1);
    await terminate(node, 5000);
  }

  private spawnNode(bind: string, host: string, port: number, existing?: LocalNodeProcess, starting = false): LocalNodeProcess {
    const child = spawn(this.options.nodeCommand.file, this.nodeArgs(bind, host, port), { stdio: ['ignore', 'pipe', 'pipe'], env: this.options.nodeCommand.env ?? process.env });
    const node: LocalNodeProcess = existing ?? { host, port, child, exited: false, restarts: 0, starting };
    node.child = child;
    node.exited = false;
    if (existing === undefined) this.nodes.push(node);
    const prefix = `[${port}] `;
    // Whole lines only: a chunk may end inside a line, whose rest comes with the next one.
    const forward = (stream: 'stdout' | 'stderr'): ((chunk: Buffer) => void) => {
      let partial = '';
      return (chunk) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.trim() === '') continue;
          if (this.options.nodeOutput !== undefined) this.options.nodeOutput(node, line, stream);
          else this.options.log(prefix + line);
          const tail = (node.tail ??= []);
          tail.push(formatJsonLine(line, { time: false, level: false }));
          if (tail.length > 5) tail.shift();
        }
      };
    };
    child.stdout!.on('data', forward('stdout'));
    child.stderr!.on('data', forward('stderr'));
    child.once('exit', (code, signal) => {
      node.exited = true;
      if (this.stopping || node.removed === true || node.starting === true) return;
      if (this.onNodeExit !== null) this.onNodeExit(node, code, signal);
      if (this.options.restart === false) return;
      // Back off if it keeps dying (a port taken by someone else, say): 0.2 s, 0.4 s, ... 5 s.
      const delay = Math.min(5000, 200 * 2 ** Math.min(node.restarts, 5));
      setTimeout(() => {
        if (this.stopping || node.removed === true) return;
        node.restarts++;
        this.spawnNode(bind, host, port, node);
        if (this.onNodeRestart !== null) this.onNodeRestart(node);
      }, delay).unref();
    });
    return node;
  }

  /** Stops every node (SIGTERM, then SIGKILL after a grace period), then the coordinator. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    await Promise.all(this.nodes.map((n) => terminate(n, graceMs)));
    await this.coordinatorServer?.close();
  }
}

/** Whether something accepts connections on the address. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (yes: boolean): void => {
      socket.destroy();
      resolve(yes);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** How this process reaches the nodes and the coordinator: the password, the client certificate. */
function clientSecurity(options: LocalClusterOptions): LinkSecurity {
  const sec: LinkSecurity = {};
  if (options.requirepass !== undefined) sec.password = options.requirepass;
  const t = options.tls;
  if (t !== undefined) {
    // Verified against the cluster's CA, not by name (nodes are addressed by IP), as the nodes do.
    sec.tls = { ca: readFileSync(t.caCert), cert: readFileSync(t.clientCert), key: readFileSync(t.clientKey), rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  return sec;
}

/** The coordinator's TLS: the nodes' server certificate, clients checked as the nodes check them. */
function coordinatorTls(t: LocalClusterTls | undefined): tls.TlsOptions | undefined {
  if (t === undefined) return undefined;
  const auth = t.authClients ?? 'yes';
  return { cert: readFileSync(t.serverCert), key: readFileSync(t.serverKey), ca: readFileSync(t.caCert), requestCert: auth !== 'no', rejectUnauthorized: auth === 'yes' };
}

/** Resolves once the node on the address answers INFO as process `pid`, retrying every 50 ms. */
async function waitForProcess(host: string, port: number, pid: number, deadlineMs: number, security: LinkSecurity): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const info = await callNode(host, port, ['INFO', 'server'], 1000, security).catch(() => null);
    if (typeof info === 'string' && new RegExp(`^process_id:${pid}\\r?$`, 'm').test(info)) return;
    if (Date.now() > until) throw new Error(`${host}:${port} did not answer as process ${pid}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process has exited. */
function terminate(n: LocalNodeProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (n.exited || n.child.exitCode !== null || n.child.signalCode !== null) return resolve();
    const timer = setTimeout(() => n.child.kill('SIGKILL'), graceMs);
    n.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    n.child.kill('SIGTERM');
  });
}
