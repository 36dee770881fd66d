// The control-plane side of the resharding tests (docs/resharding.md) against `corral up`: reading
// replies (errors, field/value arrays), the extra node a plan adds and the time-stamped logs of
// node processes, and the controller's helpers (the newest topology document, the controller,
// CORRAL RESHARD and its STATUS, the batch in flight, waiting for a plan, slot owners).

import { spawn, type ChildProcess } from 'node:child_process';
import { SLOT_COUNT } from '../../src/cluster/slot.js';
import type { TopologyDoc } from '../../src/cluster/topology.js';
import type { ReplyValue } from '../../src/protocol/reply-parser.js';
import { CORRAL_MAIN, callOnce, freeRun, sleep, until, type CorralUp } from './corral-up.js';

// ---- replies --------------------------------------------------------------------------------

export function errorOf(r: ReplyValue | null): string | null {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && 'error' in r ? String((r as { error: string }).error) : null;
}

/** A flat field/value array reply as a map (empty for anything else). */
export function fieldsOf(r: ReplyValue | null): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(r)) for (let i = 0; i + 1 < r.length; i += 2) m.set(String(r[i]), String(r[i + 1]));
  return m;
}

// ---- the extra node -------------------------------------------------------------------------

/** The local coordinator's host:port: printed by `corral up`, else CORRAL CONTROL of a node. */
export async function coordinatorOf(up: CorralUp): Promise<string> {
  const printed = /\bcoordinator (\d+\.\d+\.\d+\.\d+:\d+)/.exec(up.output());
  if (printed !== null) return printed[1];
  for (const p of up.ports) {
    const f = fieldsOf(await callOnce(p, 'CORRAL', 'CONTROL'));
    const spec = f.get('coordinator_spec') ?? '';
    if (spec.startsWith('local:')) return spec.slice('local:'.length);
    const desc = /^local (\S+)$/.exec(f.get('coordinator') ?? '');
    if (desc !== null) return desc[1];
  }
  throw new Error('no node names the coordinator');
}

/** A 'data' listener that hands each complete line with the time it arrived (ms). */
export function lineReader(onLine: (at: number, line: string) => void): (d: Buffer) => void {
  let partial = '';
  return (d) => {
    const at = Date.now();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') onLine(at, line);
  };
}

/** A child's output (stdout and stderr) as it comes, each line as `<ms> <line>` with the time it arrived. */
export function stampedLog(child: ChildProcess): () => string {
  let out = '';
  const take = (at: number, line: string): void => void (out += `${at} ${line}\n`);
  child.stdout!.on('data', lineReader(take));
  child.stderr!.on('data', lineReader(take));
  return () => out;
}

/** Log texts whose lines start with a time in ms, merged into one list by time. */
export function mergeLogs(...texts: string[]): string[] {
  return texts
    .join('\n')
    .split('\n')
    .filter((l) => l !== '')
    .sort((a, b) => Number(a.slice(0, a.indexOf(' '))) - Number(b.slice(0, b.indexOf(' '))));
}

/** Of merged log lines, those about `slot` within 1 s of `at`, and the mover's, failovers' and cleanups' within 100 ms. */
export function logAround(lines: readonly string[], slot: number, at: number): string[] {
  const slotLine = new RegExp(`slot ${slot}\\b`);
  const moverLine = /mover|controller: published|removing the keys|failover|promot|killed/;
  return lines.filter((l) => {
    const d = Math.abs(Number(l.slice(0, l.indexOf(' '))) - at);
    return (d <= 1000 && slotLine.test(l)) || (d <= 100 && moverLine.test(l));
  });
}

export interface ExtraNode {
  port: number;
  child: ChildProcess;
  /** Its log: each line as `<ms> [port] <line>`, as stampedLog() gives corral up's. */
  output(): string;
  kill(): Promise<void>;
}

/** A node process outside corral up, registered with its coordinator (placed as a replica at first). */
export async function startExtraNode(coordinator: string): Promise<ExtraNode> {
  const port = await freeRun(1);
  const child = spawn(
    process.execPath,
    [CORRAL_MAIN, 'server', '--port', String(port), '--cluster-enabled', 'yes', '--coordinator', `local:${coordinator}`, '--cluster-announce-ip', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const take = (at: number, line: string): void => void (out += `${at} [${port}] ${line}\n`);
  child.stdout!.on('data', lineReader(take));
  child.stderr!.on('data', lineReader(take));
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const node: ExtraNode = {
    port,
    child,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
  try {
    // Registered: it knows the controller and has applied a topology.
    await until('the extra node to join the cluster', async () => {
      const f = fieldsOf(await callOnce(port, 'CORRAL', 'CONTROL'));
      return (f.get('controller') ?? '') !== '' && Number(f.get('epoch') ?? 0) > 0;
    }, 20_000, 50);
  } catch (err) {
    await node.kill();
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return node;
}

// ---- the control plane ----------------------------------------------------------------------

/** The newest topology document any of `ports` has applied. */
export async function newestTopology(ports: readonly number[]): Promise<TopologyDoc> {
  const docs = await Promise.all(ports.map((p) => callOnce(p, 'CORRAL', 'TOPOLOGY')));
  let best: TopologyDoc | null = null;
  for (const d of docs) {
    if (typeof d !== 'string') continue;
    const doc = JSON.parse(d) as TopologyDoc;
    if (best === null || doc.epoch > best.epoch) best = doc;
  }
  if (best === null) throw new Error(`no node of ${ports.join(',')} answered CORRAL TOPOLOGY`);
  return best;
}

/** The controller's port, as a node that says it is the controller confirms. */
export async function controllerPort(ports: readonly number[]): Promise<number> {
  for (const p of ports) {
    const f = fieldsOf(await callOnce(p, 'CORRAL', 'CONTROL'));
    const m = /:(\d+)$/.exec(f.get('controller') ?? '');
    if (m === null) continue;
    const port = Number(m[1]);
    if (fieldsOf(await callOnce(port, 'CORRAL', 'CONTROL')).get('is_controller') === '1') return port;
  }
  throw new Error('no controller');
}

/** CORRAL RESHARD ... on the controller, re-asked while the controller changes (NOTCONTROLLER, no answer). */
export async function reshard(ports: readonly number[], ...args: Array<string | number>): Promise<ReplyValue> {
  const end = Date.now() + 15_000;
  let last: ReplyValue | null = null;
  for (;;) {
    try {
      const port = await controllerPort(ports);
      last = await callOnce(port, 'CORRAL', 'RESHARD', ...args);
      if (last !== null && !(errorOf(last) ?? '').startsWith('NOTCONTROLLER')) return last;
    } catch {
      /* no controller yet */
    }
    if (Date.now() > end) throw new Error(`CORRAL RESHARD ${args.join(' ')}: no controller answered (last: ${JSON.stringify(last)})`);
    await sleep(100);
  }
}

export async function reshardStatus(ports: readonly number[]): Promise<Map<string, string>> {
  return fieldsOf(await reshard(ports, 'STATUS'));
}

export interface BatchInFlight {
  slots: number;
  firstSlot: number;
  from: string;
  to: string;
  phase: string;
}

/** STATUS's `batch` field: `N slots from S <from> -> <to> (phase)`. */
export function parseBatch(text: string): BatchInFlight | null {
  const m = /^(\d+) slots from (\d+) (\S+) -> (\S+) \((\S+)\)$/.exec(text);
  return m === null ? null : { slots: Number(m[1]), firstSlot: Number(m[2]), from: m[3], to: m[4], phase: m[5] };
}

/**
 * The slots of a batch still in `doc`'s plan (none once published): as the mover picks them, the
 * plan's next `slots` slots from `firstSlot` that `from` owns and that go to `to`.
 */
export function batchSlots(doc: TopologyDoc, b: BatchInFlight): number[] {
  const owners = slotOwners(doc);
  const out: number[] = [];
  for (const [start, end, to] of doc.plan?.moves ?? []) {
    for (let s = start; s <= end && out.length < b.slots; s++) if ((out.length > 0 || s === b.firstSlot) && to === b.to && owners[s] === b.from) out.push(s);
  }
  return out;
}

/** Waits until the document has no plan; `progress` gets each STATUS seen. */
export async function waitPlanDone(ports: () => readonly number[], timeoutMs: number, progress?: (status: Map<string, string>) => void): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = new Map<string, string>();
  for (;;) {
    try {
      const doc = await newestTopology(ports());
      if (doc.plan === undefined) return;
      last = await reshardStatus(ports());
      progress?.(last);
    } catch {
      /* a node or the controller is changing */
    }
    if (Date.now() > end) throw new Error(`the plan did not finish in ${timeoutMs} ms; last status ${JSON.stringify(Object.fromEntries(last))}`);
    await sleep(250);
  }
}

export function slotsLeft(status: Map<string, string>): number {
  return Number(status.get('slots_left') ?? NaN);
}

/** Per slot, the id of the shard that owns it in `doc`. */
export function slotOwners(doc: TopologyDoc): string[] {
  const owners = new Array<string>(SLOT_COUNT).fill('');
  for (const [s, e, id] of doc.slots) for (let i = s; i <= e; i++) owners[i] = id;
  return owners;
}

export function nodePort(doc: TopologyDoc, id: string): number {
  const n = doc.nodes.find((x) => x.id === id);
  if (n === undefined) throw new Error(`node ${id} is not in the document`);
  return n.port;
}

/** The slots a shard owns in `doc`. */
export function slotsOfShard(doc: TopologyDoc, shardId: string): Set<number> {
  const out = new Set<number>();
  for (const [s, e, id] of doc.slots) if (id === shardId) for (let i = s; i <= e; i++) out.add(i);
  return out;
}
