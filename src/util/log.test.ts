// Tests of util/log.ts: the readable line format, Redis loglevels, redaction and client fields.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventThrottle, clientFields, createLogger, formatJsonLine, formatRecord, lineLogger, nodeLineRelay, pinoLevel, safeProtocolReason } from './log.js';

/** A logger whose JSON lines are collected, parsed. */
function collecting(level = 'notice'): { records: () => Array<Record<string, unknown>>; raw: string[]; logger: ReturnType<typeof createLogger> } {
  const raw: string[] = [];
  const logger = createLogger({ level, pretty: false, destination: { write: (s) => void raw.push(s) } });
  return { raw, logger, records: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const T = Date.UTC(2026, 11, 5, 10, 7, 47, 123);

test('formatRecord: time, level, event, message, then the other fields as key=value', () => {
  const rec = { level: 'info', time: T, pid: 12, hostname: 'h', event: 'topology.changed', msg: 'applied topology epoch 7', epoch: 7, shards: 3, role: 'primary' };
  assert.equal(formatRecord(rec, { utc: true }), '10:07:47.123 INFO  topology.changed applied topology epoch 7 epoch=7 shards=3 role=primary');
  assert.equal(
    formatRecord({ level: 'warn', time: T, event: 'client.limit', kind: 'maxclients', addr: '127.0.0.1:5000', name: 'my app', nested: { a: 1 }, none: null }, { utc: true }),
    '10:07:47.123 WARN  client.limit kind=maxclients addr=127.0.0.1:5000 name="my app" nested={"a":1} none=null',
  );
  // No event: the message alone; numeric levels (pino's default) and the custom verbose one.
  assert.equal(formatRecord({ level: 30, time: T, msg: 'corral node listening on 127.0.0.1:7379' }, { utc: true }), '10:07:47.123 INFO  corral node listening on 127.0.0.1:7379');
  assert.equal(formatRecord({ level: 'verbose', time: T, event: 'migration.step', slot: 5 }, { utc: true }), '10:07:47.123 VERB  migration.step slot=5');
  assert.equal(formatRecord({ level: 'debug', time: T, msg: 'x', empty: '' }, { utc: true, prefix: '[7000] ' }), '[7000] 10:07:47.123 DEBUG x empty=""');
  // Without time and level (lineLogger), and coloured.
  assert.equal(formatRecord({ level: 'info', time: T, event: 'e', msg: 'm', k: 'v' }, { time: false, level: false }), 'e m k=v');
  assert.equal(formatRecord({ level: 'error', time: T, event: 'e', k: 1 }, { utc: true, colour: true }), '10:07:47.123 \x1b[31mERROR\x1b[0m \x1b[1me\x1b[0m \x1b[2mk=\x1b[0m1');
});

test('formatJsonLine: a JSON record is formatted; any other line is kept', () => {
  assert.equal(formatJsonLine(`{"level":"info","time":${T},"msg":"hi"}\n`, { utc: true }), '10:07:47.123 INFO  hi');
  assert.equal(formatJsonLine('Error: boom', { prefix: '[1] ' }), '[1] Error: boom');
  assert.equal(formatJsonLine('{not json'), '{not json');
});

test('pretty destination: the logger writes readable lines', () => {
  const lines: string[] = [];
  const logger = createLogger({ pretty: true, destination: { write: (s) => void lines.push(s) } });
  logger.info({ event: 'node.started', port: 7379 }, 'corral node listening on 127.0.0.1:7379');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^\d\d:\d\d:\d\d\.\d{3} INFO {2}node\.started corral node listening on 127\.0\.0\.1:7379 port=7379\n$/);
});

test('JSON records: level label, time, pid, event, msg', () => {
  const c = collecting();
  c.logger.warn({ event: 'failover.promoted', shard: 's1', epoch: 4 }, 'now the primary');
  const [r] = c.records();
  assert.equal(r.level, 'warn');
  assert.equal(typeof r.time, 'number');
  assert.equal(r.pid, process.pid);
  assert.equal(r.event, 'failover.promoted');
  assert.equal(r.msg, 'now the primary');
  assert.equal(c.raw[0].endsWith('\n'), true);
  assert.equal(c.raw[0].split('\n').length, 2, 'one line per record');
});

test('levels: Redis loglevel names, verbose between debug and info, changed at run time', () => {
  assert.deepEqual(['debug', 'verbose', 'notice', 'warning', 'nothing', 'bogus'].map(pinoLevel), ['debug', 'verbose', 'info', 'warn', 'silent', 'info']);
  const c = collecting('notice');
  const emitAll = (): void => {
    c.logger.debug('d');
    c.logger.verbose('v');
    c.logger.info('i');
    c.logger.warn('w');
  };
  emitAll();
  assert.deepEqual(c.records().map((r) => r.msg), ['i', 'w']);
  c.raw.length = 0;
  c.logger.level = pinoLevel('verbose');
  emitAll();
  assert.deepEqual(c.records().map((r) => r.msg), ['v', 'i', 'w']);
  c.raw.length = 0;
  c.logger.level = pinoLevel('debug');
  emitAll();
  assert.deepEqual(c.records().map((r) => r.msg), ['d', 'v', 'i', 'w']);
  c.raw.length = 0;
  c.logger.level = pinoLevel('warning');
  emitAll();
  assert.deepEqual(c.records().map((r) => r.msg), ['w']);
  c.raw.length = 0;
  c.logger.level = pinoLevel('nothing');
  emitAll();
  assert.deepEqual(c.raw, []);
});

test('redaction: passwords, arguments and values never reach a record', () => {
  const c = collecting();
  c.logger.info({ event: 'x', password: 'hunter2', args: ['SET', 'k', 'secret'], value: 'secret', client: { addr: '1.2.3.4:5', password: 'hunter2' } }, 'm');
  const line = c.raw.join('');
  assert.doesNotMatch(line, /hunter2|secret/);
  assert.match(line, /"addr":"1\.2\.3\.4:5"/);
});

test('clientFields: id, addr, name and user when set; nothing else', () => {
  const client = { id: 7, addr: '127.0.0.1:5555', name: 'worker', user: { name: 'alice', passwords: ['x'] }, argv: ['AUTH', 'alice', 'pw'] };
  assert.deepEqual(clientFields(client), { id: 7, addr: '127.0.0.1:5555', name: 'worker', user: 'alice' });
  assert.deepEqual(clientFields({ addr: '[::1]:6000', name: '', user: '' }), { addr: '[::1]:6000' });
  assert.deepEqual(clientFields({ addr: 'a:1', user: 'default' }), { addr: 'a:1', user: 'default' });
});

test('safeProtocolReason: the reason, not the bytes', () => {
  assert.equal(safeProtocolReason("Protocol error: expected '$', got 'Z'"), "Protocol error: expected '$'");
  assert.equal(safeProtocolReason('Protocol error: invalid bulk length'), 'Protocol error: invalid bulk length');
  assert.equal(safeProtocolReason('x'.repeat(500)).length, 120);
});

test('lineLogger: records as text lines without time and level', () => {
  const lines: string[] = [];
  const logger = lineLogger((l) => lines.push(l));
  logger.info({ event: 'replication.sync', kind: 'full' }, 'full sync from 127.0.0.1:7000');
  logger.verbose('hidden at notice');
  logger.warn('refused the credentials: WRONGPASS');
  assert.deepEqual(lines, ['replication.sync full sync from 127.0.0.1:7000 kind=full', 'refused the credentials: WRONGPASS']);
});

test('EventThrottle: at most n a second, then the count suppressed', () => {
  let now = 0;
  const t = new EventThrottle(2, () => now);
  assert.equal(t.allow(), 0);
  assert.equal(t.allow(), 0);
  assert.equal(t.allow(), -1);
  assert.equal(t.allow(), -1);
  now = 1000;
  assert.equal(t.allow(), 2);
  assert.equal(t.allow(), 0);
});

test("nodeLineRelay: a node's records readable after [port] on a TTY, else JSON with the node's address", () => {
  const line = `{"level":"info","time":${T},"pid":9,"event":"topology.changed","epoch":2,"msg":"applied topology epoch 2"}`;
  const pretty: string[] = [];
  nodeLineRelay({ pretty: true, colour: false, sink: { write: (s) => void pretty.push(s) } })('127.0.0.1:7000', '7000', line, 'stdout');
  assert.match(pretty[0], /^\[7000\] \d\d:\d\d:\d\d\.\d{3} INFO  topology\.changed applied topology epoch 2 epoch=2\n$/);
  const json: string[] = [];
  const relay = nodeLineRelay({ pretty: false, sink: { write: (s) => void json.push(s) } });
  relay('127.0.0.1:7000', '7000', line, 'stdout');
  relay('127.0.0.1:7000', '7000', 'Error: boom', 'stderr');
  relay('127.0.0.1:7000', '7000', '{}', 'stdout');
  const parsed = json.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(parsed[0], { node: '127.0.0.1:7000', level: 'info', time: T, pid: 9, event: 'topology.changed', epoch: 2, msg: 'applied topology epoch 2' });
  assert.deepEqual([parsed[1].node, parsed[1].level, parsed[1].msg], ['127.0.0.1:7000', 'warn', 'Error: boom']);
  assert.deepEqual(parsed[2], { node: '127.0.0.1:7000' });
  assert.ok(json.every((l) => l.endsWith('\n') && l.split('\n').length === 2));
});
