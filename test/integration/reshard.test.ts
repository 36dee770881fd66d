// Online resharding driven by the controller (docs/resharding.md), end to end against `corral up
// --shards 3 --replicas 1` and one more node process, under a checker workload
// (test/support/reshard-checker.ts): writers and readers of registers through ioredis's Cluster
// and corral's client, counters (INCR through both and through raw connections routed by the test,
// which record the node that answered; MULTI/EXEC INCR INCR on a hash-tagged pair), keys with
// TTLs, MSET/MGET pairs, over ~20k preloaded keys. A wrong value found comes with the node log
// lines about its slot around the time the lost write was acknowledged.
//
// 1. CORRAL RESHARD ADD of the new node, then REMOVE of it: after each, with the workload stopped,
//    no wrong value was read, no acknowledged write or key is lost, counters are exact, TTLs
//    kept their absolute expiry, no error reached the application, CLUSTER SLOTS covers the
//    16384 slots on every node, each key is held by exactly one primary (its owner) and each
//    replica holds exactly its primary's keys.
// 2. ADD again with two kills -9 mid-move: the controller (its successor resumes the plan), then
//    the primary of the batch's source shard (its replica takes over; the mover redoes the
//    batch). The same checks, where only what docs/replication.md says a kill -9 may lose (writes
//    the killed primary acknowledged that its replica had not received) is tolerated.
// 3. ADD, then REMOVE with a kill -9 mid-move of the primary of a batch's target shard (one of
//    corral up's, which have replicas): its replica takes over, the mover aborts the batch and
//    moves its slots later, the plan completes and the removed shard leaves the document. The
//    same checks, with the same tolerance for the kill.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callOnce, startCorralUp, until, sleep, type CorralUp } from '../support/corral-up.js';
import { keySlot } from '../../src/cluster/slot.js';
import {
  ReshardWorkload,
  batchSlots,
  fieldsOf,
  controllerPort,
  coordinatorOf,
  killNode,
  killWindow,
  logAround,
  mergeLogs,
  newestTopology,
  nodePort,
  parseBatch,
  reshard,
  reshardStatus,
  settledPlacement,
  slotsLeft,
  slotsOfShard,
  stampedLog,
  startExtraNode,
  waitPlanDone,
  type BatchInFlight,
  type ExtraNode,
  type KillWindow,
  type WorkloadOptions,
} from '../support/reshard-checker.js';

interface Ctx {
  up: CorralUp;
  extra: ExtraNode;
  workload: ReshardWorkload;
  ports: () => number[];
  log: (line: string) => void;
  timeline: string[];
  /** What the phases found wrong: the test fails with all of it at the end. */
  failures: string[];
  /** The node log lines (both logs, by time) about `slot` within 1 s of `at`, and the mover's and cleanups' within 100 ms. */
  logAround: (slot: number, at: number) => string[];
  /** Both logs, by time: each line `<ms> [port] <line>`. */
  nodeLog: () => string[];
}

/** Runs `body` on a fresh cluster, extra node and preloaded workload; on failure, the logs go with the error. */
async function withCluster(name: string, clientOptions: Pick<WorkloadOptions, 'ioredis' | 'corral'>, body: (ctx: Ctx) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  const timeline: string[] = [];
  const log = (line: string): void => {
    timeline.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
  };
  const up = await startCorralUp(3, 1);
  // corral up's output again, each line with the time it arrived (its own lines carry none).
  const stamped = stampedLog(up.child);
  let extra: ExtraNode | null = null;
  let workload: ReshardWorkload | null = null;
  try {
    extra = await startExtraNode(await coordinatorOf(up));
    const x = extra;
    log(`cluster up on ${up.ports.join(',')}; extra node ${x.port}; t0 = ${t0} ms`);
    workload = new ReshardWorkload({ seeds: up.ports.map((p) => `127.0.0.1:${p}`), ...clientOptions });
    await workload.preload();
    log(`preloaded ${workload.allKeys().size} keys`);
    const failures: string[] = [];
    const nodeLog = (): string[] => mergeLogs(stamped(), x.output());
    const around = (slot: number, at: number): string[] => logAround(nodeLog(), slot, at);
    await body({ up, extra: x, workload, ports: () => [...up.ports, x.port], log, timeline, failures, logAround: around, nodeLog });
    log('done');
    console.log(`${name}\n${timeline.join('\n')}`);
    assert.deepEqual(failures, [], 'every phase passes its checks');
  } catch (err) {
    const file = path.join(os.tmpdir(), `corral-reshard-${name.replace(/\W+/g, '-')}-${Date.now()}.log`);
    const nodeLog = mergeLogs(stamped(), extra?.output() ?? '').join('\n');
    writeFileSync(file, `${timeline.join('\n')}\n\n--- corral up (from ${up.ports[0]}) and the extra node, by time\n${up.output().slice(0, 2000)}\n...\n${nodeLog}\n`);
    const noise = /importing slot|exporting slot|is now served here|export of slot \d+ ended: the importer disconnected|NOTREADY/;
    const interesting = nodeLog.split('\n').filter((l) => !noise.test(l) && /mover|control plane|controller|migrat|failover|error|killed|restart|refus|abort|lost|warn/i.test(l));
    const e = err as Error;
    e.message = `${e.message}\n--- timeline\n${timeline.join('\n')}\n--- node log (selected, last 80 lines; all of it in ${file})\n${interesting.slice(-80).join('\n')}`;
    throw e;
  } finally {
    await workload?.close();
    await extra?.kill();
    await up.stop();
  }
}

/**
 * Runs the workload during `run`, stops it, then checks it and the placement. What the checks
 * find goes to ctx.failures (the next phase still runs, so that one run shows all it can).
 */
async function phase(ctx: Ctx, label: string, run: () => Promise<void>): Promise<void> {
  const started = Date.now();
  ctx.workload.start();
  try {
    await run();
  } finally {
    await ctx.workload.stop();
  }
  ctx.log(`${label}: workload stopped after ${Date.now() - started} ms`);
  await until('every node of the cluster to be back and in sync', ctx.up.whole, 30_000, 100);
  const report = await ctx.workload.verify(label);
  ctx.log(report.text);
  const placement = await settledPlacement(ctx.ports, ctx.workload.allKeys(), 10_000);
  ctx.log(`${label}: placement (epoch ${placement.doc.epoch}) ${placement.problems.length === 0 ? `settled in ${placement.ms} ms` : `NOT settled after ${placement.ms} ms:\n    ${placement.problems.join('\n    ')}`}`);
  for (const e of report.evidence) {
    const lines = ctx.logAround(e.slot, e.at);
    ctx.log(`  node log about slot ${e.slot} (${e.key}) within 1 s of ${e.at}, the mover's within 100 ms:\n      ${lines.slice(0, 40).join('\n      ')}`);
  }
  if (report.wrongCount > 0) ctx.failures.push(`${label}: ${report.wrongCount} wrong values on ${report.wrongKeys} keys (first: ${report.wrong[0]})`);
  if (report.unexplainedErrors.length > 0) ctx.failures.push(`${label}: ${report.unexplainedErrors.length} errors reached the application (first: ${JSON.stringify(report.unexplainedErrors[0])})`);
  for (const p of placement.problems) ctx.failures.push(`${label}: placement: ${p}`);
}

/** Logs STATUS every couple of seconds while a plan runs. */
function progressLogger(ctx: Ctx): (s: Map<string, string>) => void {
  let last = 0;
  let lastError = '';
  return (s) => {
    const err = s.get('last_error') ?? '';
    if (Date.now() - last < 2000 && err === lastError) return;
    last = Date.now();
    lastError = err;
    ctx.log(`  status: ${s.get('state')} slots_left ${s.get('slots_left')}/${s.get('total_slots')} keys_moved ${s.get('keys_moved')} batch "${s.get('batch')}" waiting "${s.get('waiting')}" last_error "${err}"`);
  };
}

/** CORRAL RESHARD ADD or REMOVE of the extra node; the plan's id. */
async function startPlan(ctx: Ctx, kind: 'ADD' | 'REMOVE'): Promise<string> {
  const r = await reshard(ctx.ports(), kind, '127.0.0.1', ctx.extra.port);
  assert.match(String(r), kind === 'ADD' ? /^add-shard-/ : /^remove-shard-/, `${kind} answered ${JSON.stringify(r)}`);
  ctx.log(`${kind} ${ctx.extra.port}: plan ${String(r)}`);
  return String(r);
}

/** Waits for the plan to end, logging its progress, then a little more. */
async function finishPlan(ctx: Ctx, kind: 'ADD' | 'REMOVE'): Promise<void> {
  await waitPlanDone(ctx.ports, 90_000, progressLogger(ctx));
  ctx.log(`${kind} done: ${JSON.stringify(Object.fromEntries(await reshardStatus(ctx.ports())))}`);
  await sleep(300);
}

// Room for a failover (about a second or two without a primary or a controller, or a pause a
// dead controller never ended, up to its 3 s) inside the clients' retries: for the tests with kills.
const KILL_CLIENTS: Pick<WorkloadOptions, 'ioredis' | 'corral'> = {
  ioredis: { maxRedirections: 100, retryDelayOnTryAgain: 100, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100 },
  corral: { commandTimeout: 15_000, retry: { attempts: 30, baseDelayMs: 50, maxDelayMs: 500 } },
};

test('RESHARD ADD then REMOVE under a checker workload: no wrong value, no lost key, exact counters, TTLs kept, no error, one owner per key', { timeout: 180_000 }, async () => {
  // Default client options: MOVED and TRYAGAIN are the clients' own business.
  await withCluster('add-remove', {}, async (ctx) => {
    const { extra, workload } = ctx;
    const shardId = `127.0.0.1:${extra.port}`;
    await phase(ctx, 'add', async () => {
      await sleep(500);
      await startPlan(ctx, 'ADD');
      await finishPlan(ctx, 'ADD');
    });
    let doc = await newestTopology(ctx.ports());
    const shard = doc.shards.find((s) => s.id === shardId);
    assert.ok(shard !== undefined, `a shard ${shardId} in ${JSON.stringify(doc.shards)}`);
    assert.equal(nodePort(doc, shard.primary), extra.port);
    const owned = slotsOfShard(doc, shardId).size;
    assert.ok(owned > 0.2 * 16384 && owned < 0.3 * 16384, `the new shard owns ${owned} slots, about a quarter`);
    const held = await callOnce(extra.port, 'DBSIZE');
    ctx.log(`the new shard owns ${owned} slots and holds ${String(held)} keys`);
    assert.ok(typeof held === 'number' && held > 0.15 * workload.allKeys().size, `the new shard holds ${String(held)} keys`);

    await phase(ctx, 'remove', async () => {
      await sleep(300);
      await startPlan(ctx, 'REMOVE');
      await finishPlan(ctx, 'REMOVE');
    });
    doc = await newestTopology(ctx.ports());
    assert.equal(doc.shards.length, 3);
    assert.ok(!doc.shards.some((s) => s.id === shardId), 'the shard is gone');
    assert.ok(!doc.nodes.some((n) => n.port === extra.port), 'the removed node is out of the document');
    // Not asserted (it is out of the cluster): what the removed node still holds and serves.
    await sleep(1000);
    const left = (await callOnce(extra.port, 'KEYS', '*')) as string[];
    const f = fieldsOf(await callOnce(extra.port, 'CORRAL', 'CONTROL'));
    const served = await callOnce(extra.port, 'CLUSTER', 'SLOTS');
    const sample = left.slice(0, 3);
    const answers = await Promise.all(sample.map(async (k) => `${k} (slot ${keySlot(k)}): GET -> ${JSON.stringify(await callOnce(extra.port, 'GET', k))}`));
    ctx.log(
      `after REMOVE the removed node (role ${f.get('role')}, epoch ${f.get('epoch')}, CLUSTER SLOTS ${Array.isArray(served) ? served.length : JSON.stringify(served)} ranges) ` +
        `holds ${left.length} keys of ${new Set(left.map((k) => keySlot(k))).size} slots; ${answers.join('; ')}`,
    );
  });
});

test('RESHARD ADD with kill -9 of the controller, then of the source primary, mid-move: the plan completes, the checks hold', { timeout: 180_000 }, async () => {
  await withCluster('add-with-kills', KILL_CLIENTS, async (ctx) => {
    const { up, extra, workload } = ctx;
    const kills: KillWindow[] = [];
    await phase(ctx, 'add with kills', async () => {
      await sleep(500);
      const id = await startPlan(ctx, 'ADD');
      const total = Number((await reshardStatus(ctx.ports())).get('total_slots'));
      assert.ok(total > 3000, `the plan moves ${total} slots`);

      // 1. kill -9 of the controller once some slots moved.
      await until('some slots to move', async () => slotsLeft(await reshardStatus(ctx.ports())) <= total - 200, 30_000, 50);
      const oldController = await controllerPort(ctx.ports());
      assert.notEqual(oldController, extra.port, 'the controller is one of corral up\'s nodes (the extra node joined after the election)');
      const leftAtKill1 = slotsLeft(await reshardStatus(ctx.ports()));
      const k1 = await killNode(ctx.ports(), oldController, 'controller');
      kills.push(k1);
      workload.addKill(k1);
      ctx.log(`kill -9 of the controller ${k1.label}, slots_left ${leftAtKill1}`);
      let newController = 0;
      await until('another controller', async () => {
        newController = await controllerPort(ctx.ports().filter((p) => p !== oldController));
        return newController !== oldController;
      }, 30_000, 100);
      ctx.log(`new controller ${newController}`);
      await until('the plan to resume under the new controller', async () => slotsLeft(await reshardStatus(ctx.ports())) <= leftAtKill1 - 200, 30_000, 100);
      const st = await reshardStatus(ctx.ports());
      ctx.log(`resumed: slots_left ${slotsLeft(st)}, last_error "${st.get('last_error')}"`);
      assert.equal(st.get('plan'), id, 'the new controller follows the same plan');
      // The plan moves this small data set in a few seconds, and the restart and resync of the
      // killed node can take longer on a loaded machine: paused meanwhile, the plan is still
      // mid-move at the second kill.
      assert.deepEqual(await reshard(ctx.ports(), 'PAUSE'), { simple: 'OK' });
      await until('the killed controller to be back and in sync', up.whole, 30_000, 100);
      assert.deepEqual(await reshard(ctx.ports(), 'RESUME'), { simple: 'OK' });

      // 2. kill -9 of the primary of the batch's source shard.
      let batch = parseBatch('');
      await until('a batch in flight', async () => {
        batch = parseBatch((await reshardStatus(ctx.ports())).get('batch') ?? '');
        return batch !== null;
      }, 10_000, 10);
      const doc = await newestTopology(ctx.ports());
      const source = doc.shards.find((s) => s.id === batch!.from);
      assert.ok(source !== undefined, `the batch's source shard ${batch!.from} is in the document`);
      const sourcePort = nodePort(doc, source.primary);
      assert.notEqual(sourcePort, extra.port);
      const leftAtKill2 = slotsLeft(await reshardStatus(ctx.ports()));
      const k2 = await killNode(ctx.ports(), sourcePort, `source primary of batch ${JSON.stringify(batch)}`);
      kills.push(k2);
      workload.addKill(k2);
      ctx.log(`kill -9 of ${k2.label}, slots_left ${leftAtKill2}`);
      assert.ok(leftAtKill2 > 0, 'the plan was still running at the second kill');
      await finishPlan(ctx, 'ADD');
    });
    // corral up restarted both killed processes (phase waited for every node to be back in sync).
    // The source primary's comes back as a replica; so does the controller's, unless the second
    // kill hit the primary of the controller's shard, which may hand the shard to it.
    const v = await up.views();
    ctx.log(`roles: ${v.map((n) => `${n.port} ${n.role} pid ${n.pid}`).join(', ')}`);
    assert.equal(kills.length, 2);
    for (const k of kills) assert.ok(v.some((n) => n.port === k.port && n.pid > 0 && n.pid !== k.pid), `${k.label} was restarted`);
    assert.equal(v.find((n) => n.port === kills[1].port)?.role, 'slave', `${kills[1].label} came back as a replica`);
    if (kills[0].memberOf !== kills[1].shard) assert.equal(v.find((n) => n.port === kills[0].port)?.role, 'slave', `${kills[0].label} came back as a replica`);
    const doc = await newestTopology(ctx.ports());
    const owned = slotsOfShard(doc, `127.0.0.1:${extra.port}`).size;
    ctx.log(`the new shard owns ${owned} slots and holds ${String(await callOnce(extra.port, 'DBSIZE'))} keys`);
    assert.ok(owned > 0.2 * 16384 && owned < 0.3 * 16384, `the new shard owns ${owned} slots, about a quarter`);
  });
});

test('RESHARD REMOVE with kill -9 of the target primary of a batch mid-move: its replica takes over, the batch is redone, the plan completes, the checks hold', { timeout: 180_000 }, async () => {
  await withCluster('remove-with-target-kill', KILL_CLIENTS, async (ctx) => {
    const { up, extra, workload } = ctx;
    const shardId = `127.0.0.1:${extra.port}`;
    await phase(ctx, 'add', async () => {
      await sleep(500);
      await startPlan(ctx, 'ADD');
      await finishPlan(ctx, 'ADD');
    });
    let kill: KillWindow | null = null;
    let target = { shard: '', replica: '', batch: '' };
    await phase(ctx, 'remove with kill', async () => {
      await sleep(300);
      const id = await startPlan(ctx, 'REMOVE');
      const total = Number((await reshardStatus(ctx.ports())).get('total_slots'));
      await until('some slots to move', async () => slotsLeft(await reshardStatus(ctx.ports())) <= total - 200, 30_000, 50);
      // The targets are corral up's shards (each with a replica). A batch still copying, to a
      // shard whose primary is not the controller (its kill would be the controller's too): killed
      // as soon as STATUS shows it, so that the kill lands inside it.
      const controller = await controllerPort(ctx.ports());
      const pids = new Map((await up.views()).map((v) => [v.port, v.pid]));
      const before = await newestTopology(ctx.ports());
      const found = { batch: null as BatchInFlight | null, port: 0 };
      await until('a batch copying to a shard whose primary is not the controller', async () => {
        const b = parseBatch((await reshardStatus(ctx.ports())).get('batch') ?? '');
        const t = before.shards.find((s) => s.id === b?.to);
        if (b === null || b.phase !== 'copy' || t === undefined || nodePort(before, t.primary) === controller) return false;
        found.batch = b;
        found.port = nodePort(before, t.primary);
        return true;
      }, 10_000, 5);
      const at = Date.now();
      process.kill(pids.get(found.port)!, 'SIGKILL');
      const batch = found.batch!;
      const doc = await newestTopology(ctx.ports());
      assert.equal(batch.from, shardId, 'the batch moves slots off the leaving shard');
      kill = killWindow(doc, found.port, pids.get(found.port)!, at, `target primary of batch ${JSON.stringify(batch)}`, batchSlots(doc, batch));
      workload.addKill(kill);
      const shard = doc.shards.find((s) => s.id === batch.to)!;
      assert.equal(shard.replicas.length, 1, `the target shard ${batch.to} has a replica`);
      target = { shard: batch.to, replica: shard.replicas[0], batch: `${batch.slots} slots from ${batch.firstSlot} ${batch.from} -> ${batch.to}` };
      const left = slotsLeft(await reshardStatus(ctx.ports()));
      ctx.log(`kill -9 of ${kill.label}, slots_left ${left}`);
      assert.ok(left > 0, 'the plan was still running at the kill');
      assert.equal((await reshardStatus(ctx.ports())).get('plan'), id);
      await finishPlan(ctx, 'REMOVE');
    });
    const k = kill as KillWindow | null;
    assert.ok(k !== null);
    // The mover gave the batch up when its target failed (and moved its slots later, or the plan would not have ended).
    const aborted = ctx.nodeLog().filter((l) => Number(l.slice(0, l.indexOf(' '))) >= k.at && /[ "]mover: batch of .* aborted: /.test(l)); // a plain line, or JSON ("msg":"mover: ...")
    ctx.log(`aborted after the kill:\n    ${aborted.join('\n    ')}`);
    assert.ok(aborted.some((l) => l.includes(`-> ${target.shard} aborted: `)), `the mover aborted the batch to ${target.shard} (${target.batch})`);
    // The replica took over; corral up restarted the killed process, which came back as its replica.
    const doc = await newestTopology(ctx.ports());
    const shard = doc.shards.find((s) => s.id === target.shard);
    assert.equal(shard?.primary, target.replica, `the replica of ${target.shard} took over`);
    const v = await up.views();
    ctx.log(`roles: ${v.map((n) => `${n.port} ${n.role} pid ${n.pid}`).join(', ')}`);
    assert.ok(v.some((n) => n.port === k.port && n.pid > 0 && n.pid !== k.pid), `${k.label} was restarted`);
    assert.equal(v.find((n) => n.port === k.port)?.role, 'slave', `${k.label} came back as a replica`);
    // The leaving shard ended with no slot and left the document.
    assert.equal(slotsOfShard(doc, shardId).size, 0, 'the removed shard owns no slot');
    assert.equal(doc.shards.length, 3);
    assert.ok(!doc.shards.some((s) => s.id === shardId), 'the shard is gone');
    assert.ok(!doc.nodes.some((n) => n.port === extra.port), 'the removed node is out of the document');
  });
});
