// `corral cluster add-shard / remove-shard / rebalance / migrations ...`: online resharding from
// the command line, over commands any client could send: CORRAL RESHARD (served by the
// controller), CORRAL CONTROL and CORRAL TOPOLOGY (any node), CORRAL JOIN (the new node), and,
// when the cluster is `corral up`'s, its local coordinator's COORD INFO / SPAWN / STOPNODE. The
// reply helpers and RESHARD STATUS's parsing and lines are in reshard-format.ts.

import { SingleBar } from 'cli-progress';
import { callNode } from './node-call.js';
import { nodeIdFor, parseTopology, type TopologyDoc } from '../cluster/topology.js';
import type { ReplyValue } from '../protocol/reply-parser.js';
import { DEFAULT_DRAIN_S, drain } from './retire.js';
import { CliError, errorOf, formatDuration, formatMB, formatReshardStatus, parseRate, parseReshardStatus, progressLine, replyPairs, replyText, slotCounts, splitAddress, stateNote, type ReshardStatus } from './reshard-format.js';

function call(addr: string, args: Array<string | number>, timeoutMs = 2000): Promise<ReplyValue> {
  const [host, port] = splitAddress(addr);
  return callNode(host, port, args, timeoutMs);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cluster behind one entry address: its control view, topology and controller. */
export class ClusterLink {
  private controller: string | null = null;
  /** Other nodes' addresses (from the last topology read), tried when the entry node is down. */
  private known: string[] = [];

  constructor(readonly entry: string) {
    splitAddress(entry);
  }

  private async fromAnyNode<T>(args: string[], read: (r: ReplyValue, addr: string) => T): Promise<T> {
    let last = '';
    for (const addr of [this.entry, ...this.known.filter((a) => a !== this.entry)]) {
      try {
        return read(await call(addr, args, 2000), addr);
      } catch (err) {
        last = `${addr}: ${(err as Error).message}`;
      }
    }
    throw new CliError(`no node of the cluster answers ${args.join(' ')} (${last})`);
  }

  /** CORRAL CONTROL of the entry node, or of another node of the cluster if it is down. */
  control(): Promise<Map<string, string>> {
    return this.fromAnyNode(['CORRAL', 'CONTROL'], (r) => replyPairs(r));
  }

  async topology(): Promise<TopologyDoc> {
    const doc = await this.fromAnyNode(['CORRAL', 'TOPOLOGY'], (r, addr) => {
      const json = replyText(r);
      if (json === '') throw new CliError(`${addr} has no topology yet`);
      return parseTopology(json);
    });
    this.known = doc.nodes.map((n) => `${n.host}:${n.port}`);
    return doc;
  }

  /**
   * Sends a command to the controller, finding it again (CORRAL CONTROL) when it has changed or
   * does not answer, until `deadlineMs`. A command that must not run twice (`once`) is not sent
   * again after a failure that may have come after it was received.
   */
  async controllerCall(args: Array<string | number>, once = false, deadlineMs = 30_000): Promise<ReplyValue> {
    const until = Date.now() + deadlineMs;
    let why = '';
    for (;;) {
      if (this.controller === null) {
        try {
          const c = (await this.control()).get('controller') ?? '';
          if (c === '') why = 'no controller is elected';
          else this.controller = c;
        } catch (err) {
          why = (err as Error).message;
        }
      }
      if (this.controller !== null) {
        try {
          const r = await call(this.controller, args, 5000);
          const err = errorOf(r);
          if (err === null || !err.startsWith('NOTCONTROLLER')) return r;
          why = `${this.controller}: ${err}`;
        } catch (err) {
          why = (err as Error).message;
          if (once && !/ECONNREFUSED/.test(why)) throw new CliError(`the controller did not answer ${args.slice(0, 3).join(' ')} (${why}): see corral cluster migrations status --cluster ${this.entry}`);
        }
        this.controller = null;
      }
      if (Date.now() > until) throw new CliError(`cannot reach the controller: ${why}`);
      await sleep(250);
    }
  }

  /** Sends to the controller; an error reply throws, prefixed with `what`. */
  async expectOk(args: Array<string | number>, what: string, once = false): Promise<ReplyValue> {
    const r = await this.controllerCall(args, once);
    const err = errorOf(r);
    if (err !== null) throw new CliError(`${what}: ${err.replace(/^ERR /, '')}`);
    return r;
  }
}

// ---- following a plan ------------------------------------------------------------------------

interface Followed {
  doc: TopologyDoc;
  last: ReshardStatus | null;
  interrupted: boolean;
}

/** Shows a plan's progress until the document no longer holds it, or Ctrl-C (which pauses it). */
async function follow(link: ClusterLink, planId: string): Promise<Followed> {
  let interrupted = false;
  let wake: () => void = () => {};
  const onSigint = (): void => {
    interrupted = true;
    wake();
  };
  process.on('SIGINT', onSigint);
  const tty = process.stdout.isTTY === true;
  let bar: SingleBar | null = null;
  let last: ReshardStatus | null = null;
  let printedAt = 0;
  let lastError = '';
  const show = (s: ReshardStatus): void => {
    const moved = Math.max(0, s.totalSlots - s.slotsLeft);
    const payload = { mb: formatMB(s.bytesMoved), speed: formatMB(s.bytesPerSec), etaText: formatDuration(s.etaMs), note: stateNote(s) };
    if (tty) {
      if (bar === null) {
        bar = new SingleBar({ format: 'moving slots [{bar}] {value}/{total} slots | {mb} MB | {speed} MB/s | eta {etaText}{note}', stream: process.stdout, hideCursor: true, barsize: 30 });
        bar.start(s.totalSlots, moved, payload);
      } else {
        bar.setTotal(s.totalSlots);
        bar.update(moved, payload);
      }
    } else if (Date.now() - printedAt >= 1000) {
      printedAt = Date.now();
      console.log(progressLine(s));
    }
    if (s.lastError !== '' && s.lastError !== lastError && !tty) console.error(`corral: the controller reports: ${s.lastError}`);
    lastError = s.lastError;
  };
  try {
    for (;;) {
      if (interrupted) break;
      const s = parseReshardStatus(await link.controllerCall(['CORRAL', 'RESHARD', 'STATUS']));
      if (s.plan === planId) {
        last = s;
        show(s);
      } else {
        // Not the controller's plan (any more): done, unless a new controller has yet to take it up.
        const doc = await link.topology();
        if (doc.plan?.id !== planId) {
          if (last !== null) {
            last = { ...last, slotsLeft: doc.plan === undefined ? 0 : last.slotsLeft, etaMs: 0 };
            if (bar !== null) (bar as SingleBar).update(last.totalSlots - last.slotsLeft);
          }
          return { doc, last, interrupted: false };
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', onSigint);
    if (bar !== null) (bar as SingleBar).stop();
  }
  // Ctrl-C: the plan is paused, not abandoned.
  let why = '';
  try {
    const err = errorOf(await link.controllerCall(['CORRAL', 'RESHARD', 'PAUSE'], false, 10_000));
    if (err !== null && !/paused already/.test(err)) why = err;
  } catch (err) {
    why = (err as Error).message;
  }
  if (why === '') console.error(`corral: interrupted: plan ${planId} is paused; resume it with: corral cluster migrations resume --cluster ${link.entry}`);
  else console.error(`corral: interrupted, and the plan could not be paused (${why}): it may go on; see corral cluster migrations status --cluster ${link.entry}`);
  return { doc: await link.topology().catch(() => ({ epoch: 0, shards: [], nodes: [], slots: [], migrating: [] })), last, interrupted: true };
}

function summary(doc: TopologyDoc, last: ReshardStatus | null, startedAt: number): string {
  const counts = slotCounts(doc);
  const lines = [`done in ${formatDuration(Date.now() - startedAt)}${last === null ? '' : `: moved ${last.totalSlots} slots, ${last.keysMoved} keys, ${formatMB(last.bytesMoved)} MB`}`];
  for (const s of doc.shards) {
    const p = doc.nodes.find((n) => n.id === s.primary);
    const primary = `${p?.host}:${p?.port}`;
    lines.push(`  shard ${s.id.padEnd(21)} ${String(counts.get(s.id) ?? 0).padStart(5)} slots${primary === s.id ? '' : `   primary ${primary}`}`);
  }
  return lines.join('\n');
}

async function run(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    console.error(`corral: ${(err as Error).message}`);
    return 1;
  }
}

function detached(link: ClusterLink, planId: string): number {
  console.log(`plan ${planId} goes on in the cluster; follow it with: corral cluster migrations status --cluster ${link.entry}`);
  return 0;
}

const rateArgs = (rate: string | undefined): Array<string | number> => (rate === undefined ? [] : ['RATE', parseRate(rate)]);

// ---- the commands ----------------------------------------------------------------------------

export interface ReshardOptions {
  cluster: string;
  rate?: string;
  detach?: boolean;
  /** remove-shard: seconds to wait for clients still sending to a retired node before it is stopped. */
  drain?: number;
}


export interface AddShardOptions extends ReshardOptions {
  weight?: string;
  spawn?: boolean;
}

/** Checks that an existing node can become the new shard's primary. */
async function checkNewNode(addr: string, spec: string, doc: TopologyDoc): Promise<void> {
  const [host, port] = splitAddress(addr);
  let info: ReplyValue;
  try {
    info = await call(addr, ['CLUSTER', 'INFO']);
  } catch (err) {
    throw new CliError(`${addr} does not answer (${(err as Error).message})`);
  }
  if (errorOf(info) !== null) throw new CliError(`${addr} is not in cluster mode (${errorOf(info)}): start it with --cluster-enabled yes`);
  const myId = replyText(await call(addr, ['CLUSTER', 'MYID']));
  if (myId !== nodeIdFor(host, port)) throw new CliError(`${addr} announces another address (cluster-announce-ip): give the address it announces`);
  const its = (replyPairs(await call(addr, ['CORRAL', 'CONTROL'])).get('coordinator_spec') ?? '').trim();
  if (its !== '' && its !== spec) throw new CliError(`${addr} already uses another coordinator (${its})`);
  if (!doc.nodes.some((n) => n.id === myId) && !(doc.retired ?? []).includes(myId)) {
    const keys = Number(replyText(await call(addr, ['DBSIZE'])));
    if (keys > 0) throw new CliError(`${addr} holds ${keys} keys: a new shard must start empty (FLUSHALL it, or pick another node)`);
  }
}

export async function addShard(target: string | undefined, o: AddShardOptions): Promise<number> {
  return run(async () => {
    const rate = rateArgs(o.rate);
    if (o.weight !== undefined && !(Number(o.weight) > 0)) throw new CliError(`--weight must be a positive number, not '${o.weight}'`);
    const link = new ClusterLink(o.cluster);
    const ctl = await link.control();
    const spec = ctl.get('coordinator_spec') ?? '';
    const name = ctl.get('cluster_name') || 'corral';
    if (spec === '') throw new CliError(`${o.cluster} has no coordinator: resharding needs the control plane (nodes started with --coordinator, or corral up)`);
    const doc = await link.topology();
    let coordinator: string | null = null;
    let replicas = 0;
    let addr: string;
    if (o.spawn === true) {
      if (!spec.startsWith('local:')) throw new CliError('--spawn needs a cluster run by corral up (a local coordinator); start the new node yourself and give its address');
      coordinator = spec.slice('local:'.length);
      const info = replyPairs(await call(coordinator, ['COORD', 'INFO']));
      replicas = Number(info.get('replicas') ?? 0);
      const taken = new Set([...doc.nodes.map((n) => n.port), ...(info.get('ports') ?? '').split(',').filter((p) => p !== '').map(Number)]);
      const host = info.get('host') ?? '127.0.0.1';
      let port = Math.max(...taken) + 1;
      if (target !== undefined) {
        const [h, p] = splitAddress(target);
        if (h !== host) throw new CliError(`the nodes of this cluster announce ${host}; a spawned node cannot be ${target}`);
        port = p;
      }
      for (let p = port; p <= port + replicas; p++) {
        if (taken.has(p)) throw new CliError(`port ${p} already runs a node of the cluster`);
        if (p > 65535) throw new CliError(`no room for ${replicas + 1} ports from ${port}`);
      }
      addr = `${host}:${port}`;
    } else {
      if (target === undefined) throw new CliError("give the new node's HOST:PORT, or --spawn to have corral up start one");
      addr = target;
      await checkNewNode(addr, spec, doc);
    }
    const [host, port] = splitAddress(addr);
    const startedAt = Date.now();
    // The document must name the node a shard's primary before it registers: else the
    // controller would place it as a replica of an existing shard.
    const weight = o.weight === undefined ? [] : ['WEIGHT', o.weight];
    const planId = replyText(await link.expectOk(['CORRAL', 'RESHARD', 'ADD', host, port, ...weight, ...rate], 'the controller refused the new shard', true));
    console.log(`plan ${planId}: adding shard ${addr}`);
    try {
      const r = coordinator !== null ? await call(coordinator, ['COORD', 'SPAWN', 'PRIMARY', port], 30_000) : await call(addr, ['CORRAL', 'JOIN', spec, name]);
      replyText(r);
    } catch (err) {
      // The plan would wait for a node that never comes: cancel it and take the empty shard out.
      const why = `${o.spawn === true ? 'starting' : 'joining'} ${addr} failed (${(err as Error).message})`;
      const cancelled = await link.controllerCall(['CORRAL', 'RESHARD', 'CANCEL'], false, 5000).then((r) => errorOf(r) === null, () => false);
      const removed = cancelled && (await link.controllerCall(['CORRAL', 'RESHARD', 'REMOVE', host, port, 'RATE', 0], true, 5000).then((r) => errorOf(r) === null, () => false));
      if (removed) throw new CliError(`${why}; plan ${planId} was cancelled and the empty shard taken out`);
      throw new CliError(`${why}; ${cancelled ? `plan ${planId} was cancelled` : `cancel plan ${planId} with: corral cluster migrations cancel --cluster ${link.entry}`}, then take the empty shard out with: corral cluster remove-shard ${addr} --cluster ${link.entry}`);
    }
    console.log(o.spawn === true ? `started ${addr} (its primary)` : `${addr} joined the cluster`);
    for (let i = 1; coordinator !== null && i <= replicas; i++) {
      try {
        replyText(await call(coordinator, ['COORD', 'SPAWN', 'REPLICA', port + i], 30_000));
        console.log(`started ${host}:${port + i} (a replica)`);
      } catch (err) {
        console.error(`corral: warning: the replica on port ${port + i} did not start: ${(err as Error).message}`);
      }
    }
    if (o.detach === true) return detached(link, planId);
    const f = await follow(link, planId);
    if (f.interrupted) return 130;
    const shard = f.doc.shards.find((s) => s.primary === nodeIdFor(host, port) || s.replicas.includes(nodeIdFor(host, port)));
    if (shard === undefined || (slotCounts(f.doc).get(shard.id) ?? 0) === 0) {
      throw new CliError(`plan ${planId} ended before ${addr}'s shard got any slot (cancelled?)${f.last?.lastError ? `: ${f.last.lastError}` : ''}`);
    }
    console.log(summary(f.doc, f.last, startedAt));
    return 0;
  });
}

export async function removeShard(target: string, o: ReshardOptions): Promise<number> {
  return run(async () => {
    const rate = rateArgs(o.rate);
    const link = new ClusterLink(o.cluster);
    const spec = (await link.control()).get('coordinator_spec') ?? '';
    const doc = await link.topology();
    const [host, port] = splitAddress(target);
    const node = doc.nodes.find((n) => n.host === host && n.port === port);
    const shard = node === undefined ? undefined : doc.shards.find((s) => s.primary === node.id);
    if (node === undefined || shard === undefined) {
      const of = node === undefined ? undefined : doc.shards.find((s) => s.replicas.includes(node.id));
      const primary = of === undefined ? undefined : doc.nodes.find((n) => n.id === of.primary);
      throw new CliError(primary !== undefined ? `${target} is a replica: give its shard's primary, ${primary.host}:${primary.port}` : `${target} is not a node of the cluster`);
    }
    const members = [shard.primary, ...shard.replicas].map((id) => doc.nodes.find((n) => n.id === id)!);
    const startedAt = Date.now();
    const planId = replyText(await link.expectOk(['CORRAL', 'RESHARD', 'REMOVE', host, port, ...rate], 'the controller refused to remove the shard', true));
    console.log(`plan ${planId}: draining shard ${shard.id} (${members.map((n) => `${n.host}:${n.port}`).join(', ')})`);
    if (o.detach === true) {
      console.log('its nodes can be stopped once the plan is done');
      return detached(link, planId);
    }
    const f = await follow(link, planId);
    if (f.interrupted) return 130;
    if (f.doc.shards.some((s) => s.id === shard.id)) throw new CliError(`plan ${planId} ended before shard ${shard.id} was drained (cancelled?)${f.last?.lastError ? `: ${f.last.lastError}` : ''}`);
    console.log(summary(f.doc, f.last, startedAt));
    const gone = members.filter((n) => !f.doc.nodes.some((x) => x.id === n.id));
    if (spec.startsWith('local:')) {
      for (const n of gone) {
        await drain(`${n.host}:${n.port}`, (o.drain ?? DEFAULT_DRAIN_S) * 1000);
        try {
          replyText(await call(spec.slice('local:'.length), ['COORD', 'STOPNODE', n.port], 15_000));
          console.log(`stopped ${n.host}:${n.port}`);
        } catch (err) {
          console.error(`corral: warning: ${n.host}:${n.port} was not stopped: ${(err as Error).message}`);
        }
      }
    } else if (gone.length > 0) {
      console.log(`out of the cluster, and can be stopped: ${gone.map((n) => `${n.host}:${n.port}`).join(' ')}`);
    }
    return 0;
  });
}

/** `--weight HOST:PORT=W`, repeatable (commander's collector). */
export function collectWeight(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export async function rebalance(o: ReshardOptions & { weight?: string[] }): Promise<number> {
  return run(async () => {
    const args: Array<string | number> = ['CORRAL', 'RESHARD', 'REBALANCE'];
    for (const w of o.weight ?? []) {
      const m = /^(.+:\d+)=(.+)$/.exec(w);
      if (m === null || !(Number(m[2]) > 0)) throw new CliError(`--weight takes HOST:PORT=W with W > 0, not '${w}'`);
      splitAddress(m[1]);
      args.push('WEIGHT', m[1], m[2]);
    }
    args.push(...rateArgs(o.rate));
    const link = new ClusterLink(o.cluster);
    const startedAt = Date.now();
    const r = await link.controllerCall(args, true);
    const err = errorOf(r);
    if (err !== null && /already where/.test(err)) {
      console.log(`nothing to move: ${err.replace(/^ERR /, '')}`);
      return 0;
    }
    if (err !== null) throw new CliError(`the controller refused to rebalance: ${err.replace(/^ERR /, '')}`);
    const planId = replyText(r);
    console.log(`plan ${planId}: rebalancing`);
    if (o.detach === true) return detached(link, planId);
    const f = await follow(link, planId);
    if (f.interrupted) return 130;
    console.log(summary(f.doc, f.last, startedAt));
    return 0;
  });
}


/** `corral cluster migrations pause|resume|cancel|status|rate <R>`. */
export async function migrations(action: string, value: string | undefined, o: { cluster: string; json?: boolean }): Promise<number> {
  return run(async () => {
    const link = new ClusterLink(o.cluster);
    const verb = action.toLowerCase();
    if (verb === 'status') {
      const s = parseReshardStatus(await link.controllerCall(['CORRAL', 'RESHARD', 'STATUS']));
      console.log(o.json === true ? JSON.stringify(s, null, 2) : formatReshardStatus(s));
      return 0;
    }
    if (verb === 'rate') {
      if (value === undefined) throw new CliError('migrations rate takes a rate: 50mb, 512kb, 1gb, bytes, 0 or unlimited');
      const rate = parseRate(value);
      await link.expectOk(['CORRAL', 'RESHARD', 'RATE', rate], 'the controller refused the rate');
      console.log(rate === 0 ? 'rate: unlimited' : `rate: ${formatMB(rate)} MB/s per source node`);
      return 0;
    }
    const done: Record<string, string> = { pause: 'paused', resume: 'resumed', cancel: 'cancelled' };
    if (done[verb] === undefined) throw new CliError(`unknown migrations action '${action}' (pause, resume, cancel, status, rate <R>)`);
    if (value !== undefined) throw new CliError(`migrations ${verb} takes no argument`);
    await link.expectOk(['CORRAL', 'RESHARD', verb.toUpperCase()], `cannot ${verb}`);
    console.log(`plan ${done[verb]}`);
    return 0;
  });
}
