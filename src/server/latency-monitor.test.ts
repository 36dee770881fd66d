// Unit tests for the latency monitor (latency-monitor.ts) and its reports (latency-report.ts):
// the per-event ring of one sample per second with an injected clock, reset, the doctor's
// figures and texts, the sparkline graph, and latency-tracking-info-percentiles parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_TS_LEN, LatencyMonitor, parsePercentiles, string2d } from './latency-monitor.js';
import { DOCTOR_DISABLED, DOCTOR_NO_SPIKES, latencyDoctor, latencyGraph } from './latency-report.js';

function monitorAt(start: number): { monitor: LatencyMonitor; clock: { now: number } } {
  const clock = { now: start };
  const monitor = new LatencyMonitor(() => clock.now);
  return { monitor, clock };
}

const NO_ADVICE = { slowlogThresholdMicros: 10000, hz: 10, anonHugePages: 0 };

test('samples only past the threshold, one per second keeping the highest, max of all time', () => {
  const { monitor, clock } = monitorAt(1000);
  monitor.addSampleIfNeeded('command', 500);
  assert.equal(monitor.events.size, 0, 'threshold 0: off');
  monitor.configure('latency-monitor-threshold', 100);
  assert.equal(monitor.thresholdMicros, 100000);
  const steps: Array<[number, string, number]> = [
    [1000, 'command', 99],
    [1000, 'command', 150],
    [1000, 'command', 120],
    [1000, 'command', 200],
    [1001, 'command', 100],
    [1001, 'fast-command', 300],
    [1003, 'command', 130],
  ];
  for (const [t, event, ms] of steps) {
    clock.now = t;
    monitor.addSampleIfNeeded(event, ms);
  }
  assert.deepEqual([...monitor.events.keys()], ['command', 'fast-command']);
  const ts = monitor.events.get('command')!;
  assert.deepEqual(ts.samples(), [
    [1000, 200],
    [1001, 100],
    [1003, 130],
  ]);
  assert.equal(ts.max, 200);
  assert.equal(ts.times[ts.last], 1003);
  assert.equal(ts.latencies[ts.last], 130);
  assert.deepEqual(monitor.events.get('fast-command')!.samples(), [[1001, 300]]);
});

test('the ring keeps the last 160 seconds, oldest first', () => {
  const { monitor, clock } = monitorAt(0);
  for (let t = 1; t <= 170; t++) {
    clock.now = t;
    monitor.addSample('command', t);
  }
  const samples = monitor.events.get('command')!.samples();
  assert.equal(samples.length, LATENCY_TS_LEN);
  assert.deepEqual(samples[0], [11, 11]);
  assert.deepEqual(samples[LATENCY_TS_LEN - 1], [170, 170]);
  assert.equal(monitor.events.get('command')!.max, 170);
});

test('reset: one event (any case), several, or all; returns how many', () => {
  const { monitor } = monitorAt(5);
  monitor.addSample('command', 1);
  monitor.addSample('fast-command', 1);
  monitor.addSample('expire-cycle', 1);
  assert.equal(monitor.reset('nosuch'), 0);
  assert.equal(monitor.reset('COMMAND'), 1);
  assert.deepEqual([...monitor.events.keys()], ['fast-command', 'expire-cycle']);
  assert.equal(monitor.reset(), 2);
  assert.equal(monitor.events.size, 0);
});

test('analysis: average, min, max, mean deviation (integer ms), period from the oldest sample', () => {
  const { monitor, clock } = monitorAt(1000);
  monitor.addSample('command', 200);
  clock.now = 1001;
  monitor.addSample('command', 50);
  clock.now = 1010;
  assert.deepEqual(monitor.analyze('command'), { allTimeHigh: 200, avg: 125, min: 50, max: 200, mad: 75, samples: 2, period: 10 });
  assert.deepEqual(monitor.analyze('nosuch'), { allTimeHigh: 0, avg: 0, min: 0, max: 0, mad: 0, samples: 0, period: 0 });
  clock.now = 1001;
  monitor.addSample('odd', 7);
  assert.equal(monitor.analyze('odd').period, 1, 'at least one second');
});

test('doctor: disabled, no spikes, and an event with its advice', () => {
  const { monitor, clock } = monitorAt(1000);
  assert.equal(latencyDoctor(monitor, NO_ADVICE), DOCTOR_DISABLED);
  monitor.configure('latency-monitor-threshold', 100);
  assert.equal(latencyDoctor(monitor, NO_ADVICE), DOCTOR_NO_SPIKES);
  assert.notEqual(latencyDoctor(monitor, { ...NO_ADVICE, anonHugePages: 4096 }), DOCTOR_NO_SPIKES);
  monitor.addSample('command', 200);
  clock.now = 1001;
  monitor.addSample('command', 50);
  clock.now = 1010;
  assert.equal(
    latencyDoctor(monitor, NO_ADVICE),
    "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
      '1. command: 2 latency spikes (average 125ms, mean deviation 75ms, period 5.00 sec). Worst all time event 200ms.\n' +
      '\nI have a few advices for you:\n\n' +
      '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n' +
      '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n',
  );
  assert.match(latencyDoctor(monitor, { ...NO_ADVICE, slowlogThresholdMicros: -1 }), /CONFIG SET slowlog-log-slower-than 100000'\. If the Slow log/);
  assert.match(latencyDoctor(monitor, { ...NO_ADVICE, slowlogThresholdMicros: 500000 }), /only logs events that are slower than your configured latency monitor threshold/);
  monitor.reset();
  monitor.addSample('some-event', 30);
  assert.match(latencyDoctor(monitor, NO_ADVICE), /\nWhile there are latency events logged, I'm not able to suggest any easy fix\./);
});

test('graph: header, rule, filled sparkline of 4 rows, labels downwards', () => {
  const { monitor, clock } = monitorAt(100);
  monitor.addSample('command', 10);
  clock.now = 100;
  assert.equal(latencyGraph(monitor, 'command'), `command - high 10 ms, low 10 ms (all time high 10 ms)\n${'-'.repeat(80)}\n \n \n \n_\n \n0\ns\n`);
  clock.now = 101;
  monitor.addSample('command', 22);
  clock.now = 112;
  monitor.addSample('command', 16);
  clock.now = 112;
  assert.equal(
    latencyGraph(monitor, 'command'),
    `command - high 22 ms, low 10 ms (all time high 22 ms)\n${'-'.repeat(80)}\n` + ' # \n |_\n ||\n_||\n   \n110\n21s\nss \n',
  );
});

test('latency-tracking-info-percentiles: numbers in [0, 100] as strtod reads them', () => {
  assert.deepEqual(parsePercentiles('50 99 99.9'), [50, 99, 99.9]);
  assert.deepEqual(parsePercentiles('0.0 50.0 100.0'), [0, 50, 100]);
  assert.deepEqual(parsePercentiles('1e1 .5'), [10, 0.5]);
  assert.deepEqual(parsePercentiles(''), []);
  assert.throws(() => parsePercentiles('10.0 50.0 a'), /^Error: Invalid latency-tracking-info-percentiles parameters$/);
  assert.throws(() => parsePercentiles('10.0 50.0 101.0'), /^Error: latency-tracking-info-percentiles parameters should sit between \[0\.0,100\.0\]$/);
  assert.throws(() => parsePercentiles('-1'), /sit between/);
  assert.throws(() => parsePercentiles('inf'), /sit between/);
  assert.equal(string2d('nan'), undefined);
  assert.equal(string2d('1x'), undefined);
  assert.equal(string2d('-0.5'), -0.5);
});
