// bench/exhaustion-bench.ts — resource exhaustion, measured (issue 15; `npm run bench:exhaustion`).
//
// Owns: running every attack of bench/lib/exhaustion-attacks.ts at full size against a corral
// node AND a redis-server 7 in the same run (a fresh process of each per attack, alternating which
// goes first), and the report: for each attack and system the witness client's p50 / p99 / max
// round trip before (baseline) and during the attack, RSS before and at peak, whether the
// attacker was disconnected, whether the node stayed alive and the attack's own check, as a
// markdown table on stdout and bench/results/exhaustion-<ts>.json. Nothing here is a pass/fail
// threshold on time; the exit code is 1 only if a node died, a witness reply was wrong, or the
// node wrote an exception.
//
// redis-server runs with `--save '' --appendonly no` and its lazyfree settings at their defaults
// (lazyfree-lazy-user-del no: DEL frees inline, UNLINK in a background thread).
//
// Flags: --attacks a,b (all)  --systems corral,redis  --sizes full|ci (full)
//        --big-set N  --keys N  --slowloris-ms N  (override the full sizes)

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, fmt, isoStamp, machineInfo, markdownTable, positiveIntFlag, writeResult } from './lib/report.js';
import { runAttack, type AttackResult, type SystemName } from './lib/exhaustion-run.js';
import { CI_SIZES, FULL_SIZES, allAttacks, type AttackSizes } from './lib/exhaustion-attacks.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function ms(us: number): string {
  return Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 2 : 0) : 'n/a';
}

/** The attack's own check, in a few words. */
function checkOf(r: AttackResult): string {
  const d = r.detail;
  switch (r.attack) {
    case 'idle-connections':
      return `${d['answered']}/${d['opened']} answered PING, ${d['rssPerConnKb']} KB/conn`;
    case 'slowloris':
      return `${d['repliedOk']}/${d['opened']} SETs OK (${d['bytesEach']} B each)`;
    case 'flood-no-read':
      return `${d['getsSent']} GETs sent (${d['repliesAsked']} of replies)`;
    case 'multi-queue':
      return `${d['execAborted'] === true ? 'EXECABORT' : d['execApplied'] === true ? 'EXEC applied' : 'EXEC not applied'}, RSS queued ${d['rssAfterQueueingMb']} MB`;
    case 'wide-command':
      return `reply ${d['reply']}, SCARD ${d['scard']}`;
    case 'declared-sizes':
      return `${d['opened'] as number - (d['disconnected'] as number)}/${d['opened']} kept open, ${d['rssPerConnKb']} KB/conn`;
    case 'keys-all':
      return `${d['header']} (${d['replyMb']} MB)`;
    default:
      return `reply ${d['reply']} in ${d['replyMs']} ms, RSS ${d['rssAtDelMb']}→${d['rssLowestAfterMb']} MB${d['freedAfterMs'] !== -1 ? ` after ${d['freedAfterMs']} ms` : ' (8 s)'}`;
  }
}

export function resultsTable(results: AttackResult[]): string {
  return markdownTable(
    ['attack', 'system', 'base p50/p99 ms', 'during p50 ms', 'during p99 ms', 'during max ms', 'attack s', 'RSS before→peak MB', 'attacker cut', 'alive', 'check'],
    results.map((r) => [
      r.attack,
      r.system,
      `${ms(r.baseline.p50Us)}/${ms(r.baseline.p99Us)}`,
      ms(r.during.p50Us),
      ms(r.during.p99Us),
      ms(r.during.maxUs),
      (r.attackMs / 1000).toFixed(1),
      `${r.rssBeforeMb}→${r.peakRssMb}`,
      r.attackerDisconnected ? 'yes' : 'no',
      r.alive && r.witnessFailures.length === 0 && r.exception === null ? 'yes' : 'NO',
      checkOf(r),
    ]),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      attacks: { type: 'string' },
      systems: { type: 'string' },
      sizes: { type: 'string' },
      'big-set': { type: 'string' },
      keys: { type: 'string' },
      'slowloris-ms': { type: 'string' },
    },
  });
  const base = values.sizes === 'ci' ? CI_SIZES : FULL_SIZES;
  const sizes: AttackSizes = {
    ...base,
    bigSetMembers: positiveIntFlag(values['big-set'], '--big-set', base.bigSetMembers),
    keysKeys: positiveIntFlag(values.keys, '--keys', base.keysKeys),
    slowlorisByteMs: positiveIntFlag(values['slowloris-ms'], '--slowloris-ms', base.slowlorisByteMs),
  };
  const systems = (values.systems ?? 'corral,redis').split(',') as SystemName[];
  const wanted = values.attacks?.split(',');
  const attacks = allAttacks(sizes).filter((a) => wanted === undefined || wanted.includes(a.name));
  const machine = machineInfo(repoRoot);
  console.log(describeMachine(machine));
  console.log(`exhaustion: ${attacks.map((a) => a.name).join(', ')} against ${systems.join(' and ')}`);
  const results: AttackResult[] = [];
  const started = Date.now();
  for (let i = 0; i < attacks.length; i++) {
    const attack = attacks[i]!;
    console.log(`${attack.name}: ${attack.describe}`);
    // Alternate which system goes first, so neither always runs on a machine warmed (or
    // cluttered) by the other.
    const order = i % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) {
      results.push(await runAttack(system, attack, { baselineMs: 1500, tailMs: 1500, log: (l) => console.log(l) }));
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const table = resultsTable(results);
  console.log(`\nwitness: SET+GET of its own keys, 1 ms apart, in a worker thread; latencies of each round trip`);
  console.log(table);
  const bad = results.filter((r) => !r.alive || r.witnessFailures.length > 0 || r.exception !== null);
  for (const r of bad) {
    console.log(`${r.system} ${r.attack}: alive ${r.alive}, witness failures ${JSON.stringify(r.witnessFailures.slice(0, 5))}`);
    if (r.exception !== null) console.log(`exception:\n${r.exception}`);
  }
  const file = writeResult(
    path.join(repoRoot, 'bench', 'results'),
    `exhaustion-${isoStamp()}.json`,
    JSON.stringify({ machine, sizes, seconds, results, table }, null, 2) + '\n',
  );
  console.log(`${fmt(seconds, 0)} s; result: ${path.relative(repoRoot, file)}`);
  process.exit(bad.length === 0 ? 0 : 1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
