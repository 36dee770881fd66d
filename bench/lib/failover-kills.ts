// bench/lib/failover-kills.ts — Part 1 of the failover benchmark (bench/failover-bench.ts):
// write unavailability and lost acknowledged writes after kill -9 of a primary. Its records
// (KillRecord, SystemRun, FailoverSummary), one kill (oneKill), the run over all systems
// (runFailover), the summary and its table.

import { sleep } from './procs.js';
import { fmt, markdownTable } from './report.js';
import { shardsOf, tagForSlot } from './cluster-state.js';
import { corralSystem, redisSystem, type FailoverSystem } from './failover-systems.js';
import { failoverClient, LossWriters, Probe, readBack, type ProbeResult } from './failover-writers.js';
import { countLost, type LossCounts } from './failover-history.js';
import { corralMain, repoRoot, type Settings } from './failover-settings.js';
import { firstLine, interrupted, never, type ErrorRecord, type Registry } from './failover-common.js';

function pctl(xs: number[], q: number): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
}

const mean = (xs: number[]): number => {
  const v = xs.filter(Number.isFinite);
  return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
};

export interface KillRecord {
  kill: number;
  slot: number;
  tag: string;
  killedPort: number;
  killedPid: number;
  promotedPort: number;
  probe: ProbeResult;
  /** Redis: from the kill until the restarted node answered PING (NaN for corral). */
  restartedMs: number;
  /** From the kill until the cluster was whole again. */
  wholeMs: number;
  writes: { plain: number; wait: number; waitAckedRate: number };
  /** WAIT replies that were errors, by error (e.g. a server without WAIT). */
  waitErrors: Record<string, number>;
  loss: LossCounts;
}

export interface SystemRun {
  key: string;
  label: string;
  status: 'ok' | 'failed';
  error?: string;
  ports: number[];
  shards: Array<{ slot: number; tag: string }>;
  kills: KillRecord[];
}

export interface FailoverSummary {
  key: string;
  label: string;
  status: string;
  kills: number;
  unavailableP50Ms: number;
  unavailableP99Ms: number;
  unavailableMaxMs: number;
  unavailableMeanMs: number;
  wholeP50Ms: number;
  plainAckedPerKill: number;
  plainLostPerKill: number;
  plainLostMax: number;
  waitAckedPerKill: number;
  waitLostPerKill: number;
  waitLostMax: number;
  waitOkOnlyLostPerKill: number;
  corrupt: number;
}

async function oneKill(sys: FailoverSystem, run: SystemRun, k: number, s: Settings): Promise<KillRecord> {
  const shard = run.shards[k % run.shards.length]!;
  const seeds = sys.ports.map((p) => `127.0.0.1:${p}`);
  const problems = await sys.problems();
  if (problems.length > 0) await sys.waitWhole(s.recoveryTimeoutS * 1000);
  const { port, pid } = await sys.masterOf(shard.slot);
  const probeClient = failoverClient(seeds, s.tuning);
  const probe = new Probe(probeClient, `{${shard.tag}}:probe`);
  const writers = new LossWriters({
    seeds, tuning: s.tuning, tag: shard.tag, slot: shard.slot, runId: `k${k + 1}`,
    plainLoops: s.lossWriters, waitLoops: s.lossWriters, ratePerLoop: s.lossRate, waitTimeoutMs: s.waitTimeoutMs,
  });
  try {
    await probeClient.ready();
    await writers.start();
    probe.start();
    await sleep(s.preKillMs);
    for (let i = 0; probe.okCount === 0; i++) {
      if (i > 200) throw new Error(`shard of slot ${shard.slot} not writable before the kill: ${probe.lastError}`);
      await sleep(50);
    }
    const tKill = performance.now();
    writers.setOrigin(tKill);
    sys.kill(port, pid);
    const pr = await probe.untilWritable(tKill, s.unavailableTimeoutS * 1000, () => sys.problem());
    let restartedMs = NaN;
    if (!sys.restartsItself) {
      await sys.restart(port);
      restartedMs = performance.now() - tKill;
    }
    await sleep(s.postRecoveryMs);
    await probe.stop();
    await writers.stop();
    await sys.waitWhole(s.recoveryTimeoutS * 1000);
    const wholeMs = performance.now() - tKill;
    const reader = failoverClient(seeds, { ...s.tuning, commandTimeoutMs: 5000 });
    let final: Map<string, string | null>;
    try {
      final = await readBack(reader, writers.records.map((r) => r.key));
    } finally {
      reader.close();
    }
    const loss = countLost(writers.records, final, shard.slot);
    const promoted = await sys.masterOf(shard.slot);
    const wait = writers.records.filter((r) => r.kind === 'wait');
    const waitErrors: Record<string, number> = {};
    for (const r of wait) if (r.error?.startsWith('WAIT: ')) waitErrors[r.error.slice(6)] = (waitErrors[r.error.slice(6)] ?? 0) + 1;
    return {
      kill: k + 1, slot: shard.slot, tag: shard.tag, killedPort: port, killedPid: pid, promotedPort: promoted.port,
      probe: pr, restartedMs, wholeMs,
      writes: {
        plain: writers.records.length - wait.length,
        wait: wait.length,
        waitAckedRate: wait.filter((r) => r.waitAcked).length / Math.max(1, wait.filter((r) => r.ok).length),
      },
      waitErrors,
      loss,
    };
  } finally {
    probe.abort();
    writers.abort();
    probeClient.close(); // a SET still pending rejects, and the loops end
  }
}

function summarizeFailover(runs: SystemRun[]): FailoverSummary[] {
  return runs.map((r) => {
    const ks = r.kills;
    const u = ks.map((k) => k.probe.unavailableMs);
    const n = Math.max(1, ks.length);
    const sum = (f: (k: KillRecord) => number): number => ks.reduce((a, k) => a + f(k), 0);
    return {
      key: r.key, label: r.label, status: r.status === 'ok' ? 'ok' : `FAILED: ${r.error ?? ''}`, kills: ks.length,
      unavailableP50Ms: pctl(u, 0.5), unavailableP99Ms: pctl(u, 0.99), unavailableMaxMs: pctl(u, 1), unavailableMeanMs: mean(u),
      wholeP50Ms: pctl(ks.map((k) => k.wholeMs), 0.5),
      plainAckedPerKill: ks.length ? sum((k) => k.loss.plainAcked) / n : NaN,
      plainLostPerKill: ks.length ? sum((k) => k.loss.plainLost) / n : NaN,
      plainLostMax: ks.length ? Math.max(...ks.map((k) => k.loss.plainLost)) : NaN,
      waitAckedPerKill: ks.length ? sum((k) => k.loss.waitAcked) / n : NaN,
      waitLostPerKill: ks.length ? sum((k) => k.loss.waitLost) / n : NaN,
      waitLostMax: ks.length ? Math.max(...ks.map((k) => k.loss.waitLost)) : NaN,
      waitOkOnlyLostPerKill: ks.length ? sum((k) => k.loss.waitOkOnlyLost) / n : NaN,
      corrupt: sum((k) => k.loss.corrupt),
    };
  });
}

export function failoverTable(rows: FailoverSummary[]): string {
  return markdownTable(
    ['system', 'kills', 'unavail p50 ms', 'unavail p99 ms', 'max ms', 'whole again p50 s',
      'plain acked/kill', 'plain lost/kill', 'plain lost max', 'WAIT acked/kill', 'WAIT lost/kill', 'WAIT lost max'],
    rows.map((r) => [
      r.key + (r.status === 'ok' ? '' : ' (FAILED)'), String(r.kills), fmt(r.unavailableP50Ms), fmt(r.unavailableP99Ms),
      fmt(r.unavailableMaxMs), fmt(r.wholeP50Ms / 1000, 1), fmt(r.plainAckedPerKill), fmt(r.plainLostPerKill, 2),
      fmt(r.plainLostMax), fmt(r.waitAckedPerKill), fmt(r.waitLostPerKill, 2), fmt(r.waitLostMax),
    ]),
  );
}

export async function runFailover(s: Settings, reg: Registry, errors: ErrorRecord[]): Promise<{ runs: SystemRun[]; summary: FailoverSummary[] }> {
  const systems: FailoverSystem[] = [];
  if (s.systems.includes('redis')) {
    for (const t of s.redisTimeouts) systems.push(redisSystem({ masters: s.shards, replicasPerMaster: 1, nodeTimeoutMs: t }));
  }
  if (s.systems.includes('corral')) systems.push(corralSystem({ shards: s.shards, replicas: 1, repoRoot, corralMain }));
  const runs = new Map<FailoverSystem, SystemRun>();
  const fail = async (sys: FailoverSystem, err: unknown): Promise<void> => {
    const r = runs.get(sys)!;
    r.status = 'failed';
    r.error = firstLine(err);
    errors.push({ part: 'failover', system: sys.key, error: r.error });
    console.log(`  ${sys.key}: FAILED: ${r.error}`);
    await sys.stop().catch(() => {});
  };
  try {
    for (const sys of systems) {
      reg.systems.add(sys);
      runs.set(sys, { key: sys.key, label: sys.label, status: 'ok', ports: sys.ports as number[], shards: [], kills: [] });
      console.log(`starting ${sys.label}...`);
      try {
        await sys.start();
        if (interrupted) return never();
        const shards = await shardsOf(sys.ports[0]!);
        if (shards.length !== s.shards) throw new Error(`CLUSTER SLOTS shows ${shards.length} shards, expected ${s.shards}`);
        runs.get(sys)!.shards = shards.map((sh) => ({ slot: sh.slot, tag: tagForSlot(sh.slot) }));
        console.log(`  ${sys.key}: ports ${sys.ports.join(',')}; shards by slot ${shards.map((sh) => `${sh.slot}@${sh.masterPort}`).join(' ')}`);
      } catch (err) {
        if (interrupted) return never();
        await fail(sys, err);
      }
    }
    for (let k = 0; k < s.kills; k++) {
      const live = systems.filter((x) => runs.get(x)!.status === 'ok');
      if (live.length === 0) break;
      const order = live.map((_, i) => live[(i + k) % live.length]!);
      for (const sys of order) {
        const run = runs.get(sys)!;
        try {
          const rec = await oneKill(sys, run, k, s);
          if (interrupted) return never();
          run.kills.push(rec);
          const l = rec.loss;
          console.log(
            `[kill ${k + 1}/${s.kills}] ${sys.key.padEnd(11)} slot ${String(rec.slot).padStart(5)}: primary ${rec.killedPort} (pid ${rec.killedPid}) ` +
              `-> ${rec.promotedPort}; writable after ${fmt(rec.probe.unavailableMs)} ms (${rec.probe.failedAttempts} failed writes: ` +
              `${Object.entries(rec.probe.failuresByCode).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}); whole after ${fmt(rec.wholeMs / 1000, 1)} s; ` +
              `lost plain ${l.plainLost}/${l.plainAcked}, WAIT ${l.waitLost}/${l.waitAcked} (OK-only ${l.waitOkOnlyLost}/${l.waitOkOnly})` +
              (l.corrupt > 0 ? `, ${l.corrupt} CORRUPT keys` : ''),
          );
          if (l.plainLost + l.waitLost + l.waitOkOnlyLost + l.corrupt > 0) console.log('    ' + l.text.split('\n').join('\n    '));
          if (l.waitAcked === 0) {
            const errs = Object.entries(rec.waitErrors).map(([e, n]) => `${e} x${n}`).join(', ');
            console.log(`    WARNING: no write was WAIT-acked${errs ? ` (WAIT errors: ${errs})` : ' (WAIT always replied 0)'}`);
          }
        } catch (err) {
          if (interrupted) return never();
          await fail(sys, err);
        }
      }
    }
  } finally {
    for (const sys of systems) await sys.stop().catch(() => {});
  }
  const list = systems.map((x) => runs.get(x)!);
  return { runs: list, summary: summarizeFailover(list) };
}
