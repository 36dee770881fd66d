// LATENCY, INFO latencystats and the latency parameters against a real redis-server 7.0.15:
// byte for byte where Redis's reply does not depend on timings (HELP, errors, empty LATEST and
// HISTORY, RESET's counts, DOCTOR while monitoring is off, CONFIG GET/SET of the parameters,
// COMMAND INFO of the subcommands); by shape, with the timings masked, where it does (INFO
// latencystats lines, LATENCY HISTOGRAM's nested maps, a DEBUG SLEEP spike in LATENCY LATEST).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, startCorral, startRedis, type Started, type StartedCorral, type ReplyValue } from '../support/servers.js';
import { sameOnBoth, showBytes, type Cmd } from '../support/compare.js';
import { parseReply } from '../../src/protocol/reply-parser.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  [corral, redis] = await Promise.all([startCorral({ 'enable-debug-command': 'yes' }), startRedis(['--enable-debug-command', 'yes'])]);
});

after(async () => {
  await Promise.all([corral?.close(), redis?.close()]);
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, cmds);

/** Runs cmds on one connection to each server; the parsed replies, corral's first. */
async function onBoth(cmds: Cmd[], resp = 2): Promise<[ReplyValue[], ReplyValue[]]> {
  const run = async (port: number): Promise<ReplyValue[]> => {
    const c = await RawConnection.connect(port);
    try {
      if (resp === 3) await c.call('HELLO', '3');
      const out: ReplyValue[] = [];
      for (const cmd of cmds) out.push(parseReply(await c.callRaw(...cmd))![0]);
      return out;
    } finally {
      c.close();
    }
  };
  return [await run(corral.port), await run(redis.port)];
}

describe('LATENCY: help, errors and empty replies, byte for byte', () => {
  test('HELP, unknown subcommands, wrong argument counts', async () => {
    await same([
      ['LATENCY', 'HELP'],
      ['latency', 'help'],
      ['LATENCY', 'HELP', 'xxx'],
      ['LATENCY'],
      ['LATENCY', 'NOSUCH'],
      ['LATENCY', 'LATEST', 'x'],
      ['LATENCY', 'HISTORY'],
      ['LATENCY', 'HISTORY', 'a', 'b'],
      ['LATENCY', 'GRAPH'],
      ['LATENCY', 'DOCTOR', 'x'],
    ]);
  });

  test('with nothing recorded: LATEST, HISTORY, GRAPH, RESET, DOCTOR (monitoring off)', async () => {
    await same([
      ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
      ['LATENCY', 'RESET'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'HISTORY', 'nosuchevent'],
      ['LATENCY', 'GRAPH', 'nosuchevent'],
      ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'RESET'],
      ['LATENCY', 'RESET', 'blabla'],
      ['LATENCY', 'RESET', 'command', 'fast-command'],
      ['LATENCY', 'DOCTOR'],
      ['LATENCY', 'HISTOGRAM', 'blabla'],
      ['LATENCY', 'HISTOGRAM', 'blabla', 'x|y|z'],
    ]);
  });

  test('COMMAND INFO of the subcommands and COMMAND COUNT agree with Redis', async () => {
    const subs = ['latency|latest', 'latency|history', 'latency|reset', 'latency|doctor', 'latency|graph', 'latency|histogram', 'latency|help'];
    await same([['COMMAND', 'INFO', ...subs], ['COMMAND', 'DOCS', 'latency|latest'], ['COMMAND', 'GETKEYS', 'LATENCY', 'LATEST']]);
    const [[ours], [theirs]] = await onBoth([['COMMAND', 'INFO', 'latency']]);
    const sortSubs = (v: ReplyValue): unknown[] => {
      const entry = (v as unknown[][])[0];
      return [...entry.slice(0, 9), [...(entry[9] as unknown[][])].sort((a, b) => String(a[0]).localeCompare(String(b[0])))];
    };
    assert.deepEqual(sortSubs(ours), sortSubs(theirs));
  });
});

describe('latency parameters', () => {
  test('CONFIG GET and SET of latency-tracking and latency-tracking-info-percentiles', async () => {
    await same([
      ['CONFIG', 'GET', 'latency-tracking'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'GET', 'latency-monitor-threshold'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '0.0 50.0 100.0'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '99.99 0.5 1e1'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '10.0 50.0 a'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '10.0 50.0 101.0'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '-1'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', ''],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9'],
      ['CONFIG', 'SET', 'latency-tracking', 'maybe'],
      ['CONFIG', 'SET', 'latency-tracking', 'no'],
      ['CONFIG', 'GET', 'latency-tracking'],
      ['CONFIG', 'SET', 'latency-tracking', 'yes'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '-1'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', 'x'],
    ]);
  });
});

/** INFO latencystats' lines, with each value's numbers masked (N.NNN), sorted by name. */
function maskedLatencystats(info: ReplyValue): string[] {
  const lines = String(info).split('\r\n');
  assert.equal(lines[0], '# Latencystats');
  return lines
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => l.replace(/=\d+\.\d{3}(?=,|$)/g, '=N.NNN'))
    .sort();
}

describe('INFO latencystats', () => {
  test('the same commands give lines of the same names and format; RESETSTAT and latency-tracking no empty it', async () => {
    const cmds: Cmd[] = [['CONFIG', 'RESETSTAT'], ['SET', 'a', 'b'], ['GET', 'a'], ['GET', 'a'], ['CLIENT', 'ID'], ['INFO', 'latencystats']];
    const [ours, theirs] = await onBoth(cmds);
    const mine = maskedLatencystats(ours[5]);
    assert.deepEqual(mine, maskedLatencystats(theirs[5]));
    assert.deepEqual(mine, [
      'latency_percentiles_usec_client|id:p50=N.NNN,p99=N.NNN,p99.9=N.NNN',
      'latency_percentiles_usec_config|resetstat:p50=N.NNN,p99=N.NNN,p99.9=N.NNN',
      'latency_percentiles_usec_get:p50=N.NNN,p99=N.NNN,p99.9=N.NNN',
      'latency_percentiles_usec_set:p50=N.NNN,p99=N.NNN,p99.9=N.NNN',
    ]);
    const [ours2, theirs2] = await onBoth([
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 50 100'],
      ['INFO', 'latencystats'],
      ['CONFIG', 'SET', 'latency-tracking', 'no'],
      ['INFO', 'latencystats'],
      ['CONFIG', 'SET', 'latency-tracking', 'yes'],
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9'],
      ['INFO', 'latencystats'],
    ]);
    assert.ok(maskedLatencystats(ours2[1]).includes('latency_percentiles_usec_set:p0=N.NNN,p50=N.NNN,p100=N.NNN'));
    assert.deepEqual(maskedLatencystats(ours2[1]), maskedLatencystats(theirs2[1]));
    assert.equal(ours2[3], '# Latencystats\r\n');
    assert.equal(theirs2[3], ours2[3]);
    assert.deepEqual(maskedLatencystats(ours2[7]), [
      'latency_percentiles_usec_config|resetstat:p50=N.NNN,p99=N.NNN,p99.9=N.NNN',
      'latency_percentiles_usec_config|set:p50=N.NNN,p99=N.NNN,p99.9=N.NNN',
    ]);
    assert.deepEqual(maskedLatencystats(ours2[7]), maskedLatencystats(theirs2[7]));
  });

  test('the section is in INFO all and everything, after Errorstats, not in the default INFO', async () => {
    const headers = (v: ReplyValue): string[] => String(v).split('\r\n').filter((l) => l.startsWith('# '));
    const [ours, theirs] = await onBoth([['INFO'], ['INFO', 'all'], ['INFO', 'everything']]);
    for (let i = 0; i < 3; i++) {
      const mine = headers(ours[i]);
      assert.equal(mine.includes('# Latencystats'), i !== 0);
      assert.equal(headers(theirs[i]).includes('# Latencystats'), i !== 0);
      if (i !== 0) assert.equal(mine[mine.indexOf('# Latencystats') - 1], '# Errorstats');
    }
  });
});

/** A LATENCY HISTOGRAM reply (RESP2 arrays) with the bucket values masked; checks the buckets are a CDF. */
function maskedHistogram(reply: ReplyValue): unknown[] {
  assert.ok(Array.isArray(reply));
  const out: unknown[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const body = reply[i + 1] as ReplyValue[];
    assert.equal(body.length, 4);
    assert.equal(body[0], 'calls');
    assert.equal(body[2], 'histogram_usec');
    const buckets = body[3] as number[];
    assert.ok(buckets.length >= 2 && buckets.length % 2 === 0, JSON.stringify(buckets));
    for (let j = 0; j < buckets.length; j += 2) {
      assert.ok(Number.isInteger(buckets[j]) && Number.isInteger(buckets[j + 1]));
      if (j > 0) assert.ok(buckets[j] > buckets[j - 2] && buckets[j + 1] > buckets[j - 1], JSON.stringify(buckets));
    }
    assert.equal(buckets[buckets.length - 1], body[1], 'the last bucket counts every call');
    out.push(reply[i], ['calls', body[1], 'histogram_usec', 'BUCKETS']);
  }
  return out;
}

describe('LATENCY HISTOGRAM', () => {
  test('nested maps of calls and cumulative power-of-two buckets, for named commands, containers and all', async () => {
    const cmds: Cmd[] = [
      ['CONFIG', 'RESETSTAT'],
      ['SET', 'a', 'b'],
      ['SET', 'c', 'd'],
      ['GET', 'a'],
      ['CLIENT', 'ID'],
      ['LATENCY', 'HISTOGRAM', 'set', 'GET', 'blabla', 'zadd'],
      ['LATENCY', 'HISTOGRAM', 'client'],
      ['LATENCY', 'HISTOGRAM', 'client|id'],
      ['LATENCY', 'HISTOGRAM'],
    ];
    const [ours, theirs] = await onBoth(cmds);
    assert.deepEqual(maskedHistogram(ours[5]), [
      'set',
      ['calls', 2, 'histogram_usec', 'BUCKETS'],
      'get',
      ['calls', 1, 'histogram_usec', 'BUCKETS'],
    ]);
    for (const i of [5, 6, 7]) assert.deepEqual(maskedHistogram(ours[i]), maskedHistogram(theirs[i]), `reply ${i}`);
    const byName = (v: ReplyValue): Map<unknown, unknown> => {
      const m = maskedHistogram(v);
      return new Map(Array.from({ length: m.length / 2 }, (_, k) => [m[2 * k], m[2 * k + 1]]));
    };
    assert.deepEqual(byName(ours[8]), byName(theirs[8]));
  });

  test('RESP3: maps all the way down', async () => {
    const [ours, theirs] = await onBoth([['CONFIG', 'RESETSTAT'], ['SET', 'a', 'b'], ['LATENCY', 'HISTOGRAM', 'set']], 3);
    const shape = (v: ReplyValue): unknown => {
      const outer = (v as { map: Array<[ReplyValue, { map: Array<[ReplyValue, ReplyValue]> }]> }).map;
      return outer.map(([name, body]) => [name, body.map.map(([k, val]) => [k, typeof val === 'object' && val !== null && 'map' in val ? 'MAP' : val])]);
    };
    assert.deepEqual(shape(ours[2]), [['set', [['calls', 1], ['histogram_usec', 'MAP']]]]);
    assert.deepEqual(shape(ours[2]), shape(theirs[2]));
  });
});

describe('the latency monitor', () => {
  test('a DEBUG SLEEP past latency-monitor-threshold is a "command" event in LATEST, HISTORY, DOCTOR and GRAPH', async () => {
    const cmds: Cmd[] = [
      ['LATENCY', 'RESET'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '1'],
      ['LATENCY', 'DOCTOR'],
      ['DEBUG', 'SLEEP', '0.02'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'DOCTOR'],
      ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'RESET', 'COMMAND'],
      ['LATENCY', 'LATEST'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
    ];
    const [ours, theirs] = await onBoth(cmds);
    const now = Math.floor(Date.now() / 1000);
    for (const [who, replies] of [
      ['corral', ours],
      ['redis', theirs],
    ] as const) {
      assert.match(String(replies[2]), /^Dave, no latency spike was observed|^I have a few advices for you|\nI have a few advices for you/, who);
      const latest = replies[4] as Array<[string, number, number, number]>;
      const command = latest.find((e) => e[0] === 'command');
      assert.ok(command !== undefined, `${who}: ${JSON.stringify(latest)}`);
      const [, time, ms, max] = command;
      assert.ok(Math.abs(time - now) <= 5, `${who} time ${time}`);
      assert.ok(ms >= 20 && ms < 1000 && max >= ms, `${who} ${ms} ${max}`);
      assert.deepEqual(replies[5], [[time, ms]], who);
      assert.match(String(replies[6]), /^Dave, I have observed latency spikes in this Redis instance\. You don't mind talking about it, do you Dave\?\n\n(\d+\. .*\n)*\d+\. command: 1 latency spikes \(average \d+ms, mean deviation 0ms, period \d+\.\d\d sec\)\. Worst all time event \d+ms\.\n/, who);
      assert.match(String(replies[7]), new RegExp(`^command - high ${ms} ms, low ${ms} ms \\(all time high ${max} ms\\)\\n-{80}\\n \\n \\n \\n_\\n \\n\\d\\n`), who);
      assert.equal(replies[8], 1, who);
      assert.ok(!(replies[9] as Array<[string]>).some((e) => e[0] === 'command'), who);
    }
    assert.equal(showBytes(Buffer.from(String(ours[10]))), showBytes(Buffer.from(String(theirs[10]))));
  });
});
