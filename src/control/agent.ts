// A node's part in the control plane (every node started with a coordinator runs one):
//   - registers itself (id, address, run id) under a coordinator lease;
//   - watches the topology document and applies each newer one (the node takes the role it
//     gives: primary, or replica of its shard's primary);
//   - renews its write lease with the elected controller every renewEveryMs and sets the node's
//     write fence from each grant (decisions.ts nodeWriteDeadline): a primary that cannot renew
//     stops taking writes before the controller may promote anyone in its place;
//   - campaigns to be the controller whenever there is none, and runs the controller when it
//     wins; when the controller's process is proven gone (its address refuses connections, or
//     another run id answers), removes its record so that a new one is elected at once instead
//     of after its coordinator lease runs out.
//
// Every link the agent and its controller open — to the coordinator (local), to the controller,
// to other nodes — authenticates and uses TLS as the node's cluster links (options.security:
// util/link-security.ts). etcd takes its own credentials, from the endpoints' user:password@.

import { performance } from 'node:perf_hooks';
import type { TopologyDoc, TopologyNodeDoc } from '../cluster/topology.js';
import { ownerChanges, sortedRanges } from '../cluster/slot-ranges.js';
import type { Coordinator, CoordinatorLease, MemberRecord } from './coordinator.js';
import { ControlLink, ControlLinkError, probeNode } from './control-link.js';
import { Controller, type RenewalReport } from './controller.js';
import { DEFAULT_LEASE_PARAMS, nodeWriteDeadline, type LeaseParams } from './decisions.js';
import { LocalCoordinator } from './local-coordinator.js';
import type { LinkSecurity } from '../util/link-security.js';
import type { Logger } from '../util/log.js';

/** What the agent needs of its node. */
export interface AgentHost {
  readonly member: MemberRecord;
  applyTopology(doc: TopologyDoc): boolean;
  /** The document the node has applied, or null. */
  topology(): TopologyDoc | null;
  /** The node's report for a renewal (role, replication id and offset, link state). */
  report(): Omit<RenewalReport, 'id' | 'runId'>;
  /** performance.now() after which writes are refused. */
  setWriteFence(until: number): void;
  /** The node's log (util/log.ts); the controller this agent runs logs there too. */
  readonly logger: Logger;
}

/** Where to connect for an address: tests route control-plane links through a fault proxy. */
export type Dialer = (host: string, port: number) => { host: string; port: number };

export interface AgentOptions {
  /** Rewrites the addresses the agent connects to (coordinator, controller); tests only. */
  dial?: Dialer;
  /** `local:host:port`, or etcd endpoints (`http://host:2379[,http://...]`). */
  coordinator: string;
  clusterName: string;
  desiredShards: number;
  leaseMs: number;
  controllerLeaseMs: number;
  /** How the node's control-plane links authenticate and whether they are TLS; none by default. */
  security?: () => LinkSecurity;
}

/**
 * The primaries that take over what `myId` serves as a primary in `current` under `next`: its
 * shard's new primary, and the primaries of shards its slots move to.
 */
export function newOwnersOfMine(current: TopologyDoc, next: TopologyDoc, myId: string): TopologyNodeDoc[] {
  const mine = current.shards.find((s) => s.primary === myId);
  if (mine === undefined) return [];
  const ids = new Set<string>();
  const successor = next.shards.find((s) => s.id === mine.id)?.primary;
  if (successor !== undefined && successor !== myId) ids.add(successor);
  // By ranges (cluster/slot-ranges.ts): every node runs this at each switch of a slot move.
  const primaryOf = new Map(next.shards.map((s) => [s.id, s.primary]));
  for (const [, , from, to] of ownerChanges(sortedRanges(current.slots), sortedRanges(next.slots))) {
    if (from !== mine.id || to === null) continue;
    const primary = primaryOf.get(to);
    if (primary !== undefined) ids.add(primary);
  }
  ids.delete(myId);
  return [...ids].map((id) => next.nodes.find((n) => n.id === id)).filter((n): n is TopologyNodeDoc => n !== undefined);
}

/**
 * Opens the coordinator a `coordinator` setting names: the local one over `security` (the node's
 * cluster links'), or etcd, whose credentials (etcd users, not the nodes') ride in the endpoints
 * as http://user:password@host:2379 (etcdEndpoints).
 */
export async function openCoordinator(spec: string, clusterName: string, security?: LinkSecurity): Promise<Coordinator> {
  if (spec.startsWith('local:')) return new LocalCoordinator(spec.slice('local:'.length), { security });
  const { EtcdCoordinator, etcdEndpoints } = await import('./etcd-coordinator.js');
  const { endpoints, auth } = etcdEndpoints(spec);
  return new EtcdCoordinator(endpoints, clusterName, { auth });
}

export class NodeAgent {
  private coordinator: Coordinator | null = null;
  private lease: CoordinatorLease | null = null;
  controller: Controller | null = null;
  /** The controller record as last seen. */
  controllerRecord: MemberRecord | null = null;
  private controllerLink: ControlLink | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private readonly watches: Array<{ close(): void }> = [];
  private renewing = false;
  private campaigning = false;
  private checkingController = false;
  readonly params: LeaseParams;
  /** performance.now() of the last grant (status reports). */
  lastGrantAt = -Infinity;
  lastGrantMs = 0;
  private stopped = false;
  private lastRenewError = '';
  private readonly startedAt = performance.now();

  constructor(
    private readonly host: AgentHost,
    private readonly options: AgentOptions,
  ) {
    this.params = { ...DEFAULT_LEASE_PARAMS, leaseMs: options.leaseMs };
  }

  async start(): Promise<void> {
    let spec = this.options.coordinator;
    const dial = this.options.dial;
    if (dial !== undefined && spec.startsWith('local:')) {
      const addr = spec.slice('local:'.length);
      const i = addr.lastIndexOf(':');
      const to = dial(addr.slice(0, i), Number(addr.slice(i + 1)));
      spec = `local:${to.host}:${to.port}`;
    }
    const c = await openCoordinator(spec, this.options.clusterName, this.security());
    this.coordinator = c;
    // Writes are refused until the first grant: a node that just started may not be primary.
    this.host.setWriteFence(1);
    for (;;) {
      try {
        this.lease = await c.grantLease(this.options.controllerLeaseMs);
        await c.register(this.host.member, this.lease);
        break;
      } catch (err) {
        if (this.stopped) return;
        this.host.logger.warn({ event: 'control.register_failed', coordinator: c.description, error: (err as Error).message }, `control plane: cannot register with ${c.description} (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    this.lease.onLost = () => this.leaseLost();
    this.watches.push(c.watchTopology((doc) => this.topologyArrived(doc)));
    this.watches.push(c.watchController((rec) => this.controllerChanged(rec)));
    this.renewTimer = setInterval(() => void this.renew(), this.params.renewEveryMs);
    this.host.logger.info({ event: 'control.registered', coordinator: c.description }, `control plane: registered with ${c.description}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.renewTimer !== null) clearInterval(this.renewTimer);
    for (const w of this.watches) w.close();
    this.controllerLink?.close();
    for (const link of this.peerLinks.values()) link.close();
    this.peerLinks.clear();
    const ctl = this.controller;
    this.controller = null;
    ctl?.stop();
    const c = this.coordinator;
    if (c !== null) {
      if (ctl !== null) await c.resign(this.host.member).catch(() => {});
      this.lease?.close();
      this.campaignLease?.close();
      await c.close().catch(() => {});
    }
  }

  /** Documents are applied one at a time, in order (a demotion may wait: see below). */
  private applying: Promise<void> = Promise.resolve();

  private topologyArrived(doc: TopologyDoc): void {
    this.applying = this.applying.then(() => this.applyInOrder(doc)).catch((err: Error) => this.host.logger.warn({ event: 'control.error', error: err.message }, `control plane: ${err.message}`));
  }

  /**
   * A document that takes this node's shard, or some of its slots, away from it waits (up to a
   * moment) until the new owners' primaries have applied it. Otherwise, in between, this node
   * would send clients to a new owner (MOVED) while that node, not yet knowing, sends them back:
   * a redirect loop that exhausts clients' redirect limits. Meanwhile this node takes no writes
   * there (its lease is no longer renewed, a manual failover paused it, or a slot move paused the
   * slots), so nothing is lost by waiting.
   */
  private async applyInOrder(doc: TopologyDoc): Promise<void> {
    const current = this.host.topology();
    if (current !== null && doc.epoch <= current.epoch) return;
    const waitFor = current === null ? [] : newOwnersOfMine(current, doc, this.host.member.id);
    if (waitFor.length > 0) {
      const until = performance.now() + 500;
      for (const n of waitFor) {
        if (this.stopped) break;
        const link = this.peerLink(n);
        while (performance.now() < until && !this.stopped) {
          const r = await link.call(['CORRAL', 'CONTROL'], 200).catch(() => null);
          if (Array.isArray(r)) {
            const i = r.indexOf('epoch');
            if (i >= 0 && Number(r[i + 1]) >= doc.epoch) break;
          }
          await new Promise((res) => setTimeout(res, 2));
        }
      }
    }
    this.host.applyTopology(doc);
    for (const [id, link] of this.peerLinks) {
      if (!doc.nodes.some((n) => n.id === id)) {
        link.close();
        this.peerLinks.delete(id);
      }
    }
  }

  /**
   * Links to the nodes a document waits for (applyInOrder), by node id, kept from one document
   * to the next: a move's source waits for its target at every switch, hundreds of times, and a
   * connection (with its AUTH) opened and closed each time was work for both nodes in the
   * switch's busiest moment. A link to a node the applied document does not name is closed.
   */
  private readonly peerLinks = new Map<string, ControlLink>();

  private peerLink(n: TopologyNodeDoc): ControlLink {
    let link = this.peerLinks.get(n.id);
    if (link === undefined) {
      link = this.link(n.host, n.port);
      this.peerLinks.set(n.id, link);
    }
    return link;
  }

  /** The coordinator dropped our lease (expired while unreachable): register again, step down. */
  private leaseLost(): void {
    if (this.stopped) return;
    this.host.logger.warn({ event: 'control.lease_lost' }, 'control plane: coordinator lease lost; registering again');
    const ctl = this.controller;
    this.controller = null;
    ctl?.stop();
    void (async () => {
      const c = this.coordinator!;
      for (;;) {
        if (this.stopped) return;
        try {
          this.lease = await c.grantLease(this.options.controllerLeaseMs);
          this.lease.onLost = () => this.leaseLost();
          await c.register(this.host.member, this.lease);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    })();
  }

  private controllerChanged(rec: MemberRecord | null): void {
    const same = rec !== null && this.controllerRecord !== null && rec.host === this.controllerRecord.host && rec.port === this.controllerRecord.port;
    this.controllerRecord = rec;
    if (!same || this.controllerLink === null) {
      this.controllerLink?.close();
      this.controllerLink = rec === null ? null : this.link(rec.host, rec.port);
    }
    if (this.controller !== null && (rec === null || rec.runId !== this.host.member.runId)) {
      this.host.logger.info({ event: 'controller.stepped_down', reason: 'another controller' }, 'control plane: no longer the controller');
      const ctl = this.controller;
      this.controller = null;
      ctl.stop();
    }
    if (rec === null) void this.campaign();
  }

  /**
   * The controller record lives under a lease of its own, not the registration's: evicting a
   * dead controller revokes its campaign lease, and its member record stays (until its own lease
   * runs out), so the next controller knows it was there and can prove it dead.
   */
  private campaignLease: CoordinatorLease | null = null;

  private campaignLeaseLost(): void {
    this.campaignLease = null;
    const ctl = this.controller;
    this.controller = null;
    if (ctl !== null) {
      this.host.logger.warn({ event: 'controller.stepped_down', reason: 'lease lost' }, 'control plane: controller lease lost; stepping down');
      ctl.stop();
    }
  }

  private async campaign(): Promise<void> {
    if (this.campaigning || this.stopped || this.lease === null) return;
    this.campaigning = true;
    try {
      // A node that just started waits a moment: the nodes started with it register meanwhile,
      // and a controller elected then does not take them for dead.
      const wait = this.startedAt + this.params.leaseMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // A short random delay spreads the candidates; the coordinator decides anyway.
      await new Promise((r) => setTimeout(r, Math.random() * 30));
      if (this.campaignLease === null) {
        const lease = await this.coordinator!.grantLease(this.options.controllerLeaseMs);
        lease.onLost = () => {
          if (this.campaignLease === lease) this.campaignLeaseLost();
        };
        this.campaignLease = lease;
      }
      const lease = this.campaignLease;
      const won = await this.coordinator!.campaign(this.host.member, lease);
      if (won && this.controller === null && !this.stopped) {
        this.controller = new Controller({
          coordinator: this.coordinator!,
          self: this.host.member,
          lease,
          params: this.params,
          desiredShards: this.options.desiredShards,
          logger: this.host.logger,
          security: this.options.security,
        });
        await this.controller.start();
      }
    } catch (err) {
      this.host.logger.warn({ event: 'control.error', error: (err as Error).message }, `control plane: campaign failed (${(err as Error).message})`);
    } finally {
      this.campaigning = false;
    }
  }

  /** One renewal: report, and set the write fence from the grant. */
  private async renew(): Promise<void> {
    if (this.renewing || this.stopped) return;
    const link = this.controllerLink;
    const rec = this.controllerRecord;
    if (link === null || rec === null) {
      if (rec === null) void this.campaign();
      return;
    }
    this.renewing = true;
    const r = this.host.report();
    const sentAt = performance.now();
    try {
      let ms: number;
      if (this.controller !== null) {
        ms = this.controller.renew({ id: this.host.member.id, runId: this.host.member.runId, ...r });
      } else {
        const reply = await link.call(
          ['CORRAL', 'LEASE', this.host.member.id, this.host.member.runId, String(r.epoch), r.role, r.replid, String(r.offset), r.masterLinkUp ? '1' : '0', r.fresh ? '1' : '0'],
          this.params.leaseMs * 0.9,
        );
        if (typeof reply !== 'number') throw new Error(`controller answered ${JSON.stringify(reply)}`);
        ms = reply;
      }
      if (ms > 0) {
        this.lastGrantAt = sentAt;
        this.lastGrantMs = ms;
        this.host.setWriteFence(nodeWriteDeadline(sentAt, ms, this.params));
      }
      this.lastRenewError = '';
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.lastRenewError) this.host.logger.warn({ event: 'control.renewal_failed', error: msg }, `control plane: lease renewal failed: ${msg}`);
      this.lastRenewError = msg;
      if (err instanceof ControlLinkError && err.reason === 'ECONNREFUSED') void this.checkController(rec);
    } finally {
      this.renewing = false;
    }
  }

  private security(): LinkSecurity | undefined {
    return this.options.security?.();
  }

  private link(host: string, port: number): ControlLink {
    const to = this.options.dial?.(host, port) ?? { host, port };
    return new ControlLink(to.host, to.port, this.security());
  }

  /** A control link to another node of the cluster, as this node's own links reach it. */
  linkTo(host: string, port: number): ControlLink {
    return this.link(host, port);
  }

  /** The controller refused a connection: if its process is proven gone, clear its record. */
  private async checkController(rec: MemberRecord): Promise<void> {
    if (this.checkingController) return;
    this.checkingController = true;
    try {
      const to = this.options.dial?.(rec.host, rec.port) ?? rec;
      const result = await probeNode(to.host, to.port, rec.runId, 200, this.security());
      if (result === 'dead' && this.coordinator !== null) {
        const evicted = await this.coordinator.evictController(rec);
        if (evicted) this.host.logger.warn({ event: 'controller.evicted', controller: `${rec.host}:${rec.port}` }, `control plane: controller ${rec.host}:${rec.port} is gone; electing another`);
      }
    } catch {
      /* the coordinator may be down too */
    } finally {
      this.checkingController = false;
    }
  }

  /** A renewal arriving here (CORRAL LEASE): only the controller answers. */
  renewFrom(report: RenewalReport): number | null {
    return this.controller === null ? null : this.controller.renew(report);
  }

  get coordinatorDescription(): string {
    return this.coordinator?.description ?? this.options.coordinator;
  }
}
