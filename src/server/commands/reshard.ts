// CORRAL RESHARD: resharding requests and status, served by the controller (docs/resharding.md;
// `corral cluster add-shard / remove-shard / rebalance / migrations` send them). A request that
// edits the topology document is answered once the document is written (the client waits, as
// with WAIT), or with why not; other nodes answer NOTCONTROLLER.
//
//   CORRAL RESHARD ADD <host> <port> [WEIGHT <w>] [RATE <bytes/s>]      the plan's id
//   CORRAL RESHARD REMOVE <host> <port> [RATE <bytes/s>]                the plan's id
//   CORRAL RESHARD REBALANCE [WEIGHT <shard|host:port> <w>]... [RATE <bytes/s>]
//   CORRAL RESHARD PAUSE | RESUME | CANCEL | RATE <bytes/s>             +OK
//   CORRAL RESHARD STATUS                                               field/value pairs

import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { CommandContext } from '../../commands/context.js';
import { CMD_ADMIN, CMD_LOADING, CMD_STALE, type CommandDef } from '../../commands/table.js';
import { ERR_SYNTAX } from '../../commands/errors.js';
import type { TopologyDoc } from '../../cluster/topology.js';
import { editPlan, planAddShard, planRebalance, planRemoveShard, type PlanEdit, type ReshardRequest } from '../../control/reshard-plans.js';
import type { Controller } from '../../control/controller.js';
import { parseMemory } from '../config.js';
import { clientOf, serverOf } from './util.js';

/**
 * The copy rate of a plan when the request names none (bytes per second per source node): the
 * rate at which an add-shard under half of peak load kept the p99 during the move within twice
 * the p99 before, in the median of alternating runs (docs/benchmarks.md, "The default rate").
 */
export const DEFAULT_RESHARD_RATE = 12 * 1024 * 1024;

function newRequest(kind: string, rate: number): ReshardRequest {
  return { id: `${kind}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`, now: Date.now(), rate };
}

/** Parses the options from argument i on: WEIGHT (pairs allowed when `pairs`) and RATE. */
function options(c: CommandContext, from: number, pairs: boolean): { rate: number; weight: number; weights: Map<string, number> } | string {
  let rate = DEFAULT_RESHARD_RATE;
  let weight = 1;
  const weights = new Map<string, number>();
  for (let i = from; i < c.argc; i++) {
    const opt = c.lower(i);
    if (opt === 'rate' && i + 1 < c.argc) {
      const r = parseMemory(c.str(++i));
      if (r === undefined || r < 0) return 'ERR the rate must be a number of bytes per second (e.g. 50mb; 0 for no limit)';
      rate = r;
    } else if (opt === 'weight' && pairs && i + 2 < c.argc) {
      const w = Number(c.str(i + 2));
      weights.set(c.str(i + 1), w);
      i += 2;
    } else if (opt === 'weight' && !pairs && i + 1 < c.argc) {
      weight = Number(c.str(++i));
      if (!(weight > 0) || !Number.isFinite(weight)) return 'ERR the weight must be a positive number';
    } else return ERR_SYNTAX;
  }
  return { rate, weight, weights };
}

/** Sends `make` to the controller; the client waits for the document to be written. */
function request(c: CommandContext, ctl: Controller, make: (doc: TopologyDoc) => PlanEdit, reply: (doc: TopologyDoc) => string | null): void {
  const node = serverOf(c);
  const client = clientOf(c);
  node.blockClient(client);
  void ctl.requestReshard(make).then((r) => {
    node.unblockClient(client, () => {
      const w = node.writer;
      if ('error' in r) w.error(`ERR ${r.error}`);
      else {
        const text = reply(r.doc);
        if (text === null) w.ok();
        else w.bulk(text);
      }
    });
  });
}

function reshardCommand(c: CommandContext): void {
  const node = serverOf(c);
  const ctl = node.agent?.controller ?? null;
  if (ctl === null) {
    c.w.error('NOTCONTROLLER this node is not the controller');
    return;
  }
  const sub = c.lower(2);
  if (sub === 'status') {
    status(c, ctl);
    return;
  }
  if (sub === 'add' || sub === 'remove') {
    if (c.argc < 5) return c.w.error(ERR_SYNTAX);
    const host = c.str(3);
    const port = Number(c.str(4));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return c.w.error('ERR bad port');
    const o = options(c, 5, false);
    if (typeof o === 'string') return c.w.error(o);
    const req = newRequest(sub === 'add' ? 'add-shard' : 'remove-shard', o.rate);
    const make = sub === 'add' ? (doc: TopologyDoc) => planAddShard(doc, host, port, o.weight, req) : (doc: TopologyDoc) => planRemoveShard(doc, host, port, req);
    request(c, ctl, make, () => req.id);
    return;
  }
  if (sub === 'rebalance') {
    const o = options(c, 3, true);
    if (typeof o === 'string') return c.w.error(o);
    const req = newRequest('rebalance', o.rate);
    request(c, ctl, (doc) => planRebalance(doc, o.weights, req), (doc) => doc.plan?.id ?? '');
    return;
  }
  if (sub === 'pause' || sub === 'resume' || sub === 'cancel') {
    if (c.argc !== 3) return c.w.error(ERR_SYNTAX);
    request(c, ctl, (doc) => editPlan(doc, { kind: sub }), () => null);
    return;
  }
  if (sub === 'rate') {
    if (c.argc !== 4) return c.w.error(ERR_SYNTAX);
    const r = parseMemory(c.str(3));
    if (r === undefined || r < 0) return c.w.error('ERR the rate must be a number of bytes per second (e.g. 50mb; 0 for no limit)');
    request(c, ctl, (doc) => editPlan(doc, { kind: 'rate', rate: r }), () => null);
    return;
  }
  c.w.error(`ERR unknown RESHARD subcommand '${c.str(2)}'`);
}

function status(c: CommandContext, ctl: Controller): void {
  const now = performance.now();
  const plan = ctl.doc?.plan;
  if (plan !== undefined) ctl.mover.follow(plan.id);
  const m = ctl.mover.status(now);
  const left = plan === undefined ? 0 : plan.moves.reduce((n, [a, b]) => n + b - a + 1, 0);
  const elapsed = plan === undefined ? 0 : Math.max(0, Date.now() - plan.startedAt);
  const done = plan === undefined ? 0 : plan.total - left;
  // ETA from the pace of the slots moved so far (by this controller: a successor starts over).
  const eta = plan === undefined || left === 0 ? 0 : m.slotsMoved === 0 || plan.paused ? -1 : Math.round((left * elapsed) / Math.max(done, m.slotsMoved));
  const b = m.batch;
  const fields: Array<[string, string | number]> = [
    ['plan', plan?.id ?? ''],
    ['kind', plan?.kind ?? ''],
    ['state', plan === undefined ? 'none' : plan.paused ? 'paused' : 'running'],
    ['total_slots', plan?.total ?? 0],
    ['slots_left', left],
    ['batch', b === null ? '' : `${b.slots.length} slots from ${b.slots[0]} ${b.from} -> ${b.to} (${b.phase})`],
    ['keys_moved', m.keysMoved],
    ['bytes_moved', m.bytesMoved],
    ['elapsed_ms', elapsed],
    ['rate', plan?.rate ?? 0],
    ['bytes_per_sec', Math.round(m.bytesPerSec)],
    ['eta_ms', eta],
    ['waiting', m.waiting],
    ['last_error', m.lastError],
  ];
  c.w.array(fields.length * 2);
  for (const [k, v] of fields) {
    c.w.bulk(k);
    c.w.bulk(String(v));
  }
}

export const corralReshardCommands: CommandDef[] = [{ name: 'reshard', arity: -3, flags: CMD_ADMIN | CMD_LOADING | CMD_STALE, handler: reshardCommand }];
