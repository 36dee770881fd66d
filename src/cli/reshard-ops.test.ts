// Unit tests of the resharding CLI's pure parts: rates (`50mb`, `unlimited`...), durations, the
// progress line printed when stdout is not a terminal, and RESHARD STATUS's parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError, formatDuration, formatReshardStatus, parseRate, parseReshardStatus, progressLine, splitAddress, type ReshardStatus } from './reshard-format.js';

test('parseRate: units are 1024 multiples; 0 and unlimited mean no limit', () => {
  assert.equal(parseRate('50mb'), 50 * 1024 * 1024);
  assert.equal(parseRate('50MB'), 50 * 1024 * 1024);
  assert.equal(parseRate('50m'), 50 * 1024 * 1024);
  assert.equal(parseRate('512kb'), 512 * 1024);
  assert.equal(parseRate('512k'), 512 * 1024);
  assert.equal(parseRate('1gb'), 1024 ** 3);
  assert.equal(parseRate('1.5mb'), 1.5 * 1024 * 1024);
  assert.equal(parseRate('10mb/s'), 10 * 1024 * 1024);
  assert.equal(parseRate('1048576'), 1048576);
  assert.equal(parseRate('100b'), 100);
  assert.equal(parseRate(' 2mb '), 2 * 1024 * 1024);
  assert.equal(parseRate('0'), 0);
  assert.equal(parseRate('unlimited'), 0);
  assert.equal(parseRate('Unlimited'), 0);
});

test('parseRate refuses what is not a rate, with a typed error', () => {
  for (const bad of ['', 'fast', '-5mb', '5tb', 'mb', '5 m b', '1e3', '99999999999999999gb']) {
    assert.throws(() => parseRate(bad), (err: unknown) => err instanceof CliError && err.code === 'E_CLI' && /not a rate/.test(err.message), bad);
  }
});

test('formatDuration: seconds, minutes, hours; ? when unknown', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(20_400), '20s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(3_720_000), '1h02m');
  assert.equal(formatDuration(-1), '?');
});

const status = (over: Partial<ReshardStatus> = {}): ReshardStatus => ({
  plan: 'p1',
  kind: 'add-shard',
  state: 'running',
  totalSlots: 4096,
  slotsLeft: 3973,
  batch: '',
  keysMoved: 1000,
  bytesMoved: Math.round(45.2 * 1024 * 1024),
  elapsedMs: 3000,
  rate: 0,
  bytesPerSec: Math.round(12.1 * 1024 * 1024),
  etaMs: 20_000,
  waiting: '',
  lastError: '',
  ...over,
});

test('progressLine: slots moved over total, MB, MB/s, eta', () => {
  assert.equal(progressLine(status()), 'moved 123/4096 slots, 45.2 MB, 12.1 MB/s, eta 20s');
  assert.equal(progressLine(status({ etaMs: -1, bytesPerSec: 0 })), 'moved 123/4096 slots, 45.2 MB, 0.0 MB/s, eta ?');
  assert.equal(progressLine(status({ state: 'paused' })), 'moved 123/4096 slots, 45.2 MB, 12.1 MB/s, eta 20s (paused)');
  assert.equal(progressLine(status({ waiting: 'target 127.0.0.1:7003 is not registered' })), 'moved 123/4096 slots, 45.2 MB, 12.1 MB/s, eta 20s (waiting: target 127.0.0.1:7003 is not registered)');
  assert.equal(progressLine(status({ waiting: 'copying' })), 'moved 123/4096 slots, 45.2 MB, 12.1 MB/s, eta 20s');
  assert.equal(progressLine(status({ slotsLeft: 0, bytesMoved: 0, etaMs: 0 })), 'moved 4096/4096 slots, 0.0 MB, 12.1 MB/s, eta 0s');
});

test('parseReshardStatus reads the field/value reply; an error reply throws', () => {
  const reply = ['plan', 'p7', 'kind', 'remove-shard', 'state', 'paused', 'total_slots', '5461', 'slots_left', '100', 'batch', '12-15 -> s3', 'keys_moved', '77',
    'bytes_moved', '2048', 'elapsed_ms', '1500', 'rate', '1048576', 'bytes_per_sec', '512', 'eta_ms', '-1', 'waiting', 'paused', 'last_error', ''];
  const s = parseReshardStatus(reply);
  assert.deepEqual(s, { plan: 'p7', kind: 'remove-shard', state: 'paused', totalSlots: 5461, slotsLeft: 100, batch: '12-15 -> s3', keysMoved: 77, bytesMoved: 2048, elapsedMs: 1500, rate: 1048576, bytesPerSec: 512, etaMs: -1, waiting: 'paused', lastError: '' });
  assert.match(formatReshardStatus(s), /plan p7 {3}remove-shard {3}paused\nmoved 5361\/5461 slots.*\(paused\)\nkeys moved 77 .*rate limit 1\.0 MB\/s\nin flight: 12-15 -> s3/);
  assert.equal(formatReshardStatus(parseReshardStatus(['plan', '', 'state', 'none'])), 'no resharding plan in progress');
  assert.throws(() => parseReshardStatus({ error: 'NOTCONTROLLER this node is not the controller' }), /NOTCONTROLLER/);
});

test('splitAddress takes host:port (IPv6 hosts too) and refuses the rest', () => {
  assert.deepEqual(splitAddress('127.0.0.1:7000'), ['127.0.0.1', 7000]);
  assert.deepEqual(splitAddress('::1:7000'), ['::1', 7000]);
  for (const bad of ['7000', 'host:', 'host:x', 'host:70000', ':7000']) assert.throws(() => splitAddress(bad), CliError, bad);
});
