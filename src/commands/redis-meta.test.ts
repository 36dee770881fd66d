import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_COMMAND_META } from './redis-meta.js';
import type { RespValue } from '../protocol/resp-value.js';

const COMMANDS = `
get set setnx setex psetex getset getdel getex mget mset msetnx append strlen incr decr incrby
decrby incrbyfloat getrange setrange substr del unlink exists type touch expire pexpire expireat
pexpireat ttl pttl expiretime pexpiretime persist rename renamenx copy keys scan randomkey dbsize
flushdb flushall hset hsetnx hget hmget hmset hgetall hdel hexists hlen hincrby hincrbyfloat hkeys
hvals hstrlen hscan hrandfield multi exec discard watch unwatch ping echo hello auth select quit
reset client command info config time memory slowlog shutdown object lastsave save bgsave swapdb
move readonly readwrite asking cluster
`
  .split(/\s+/)
  .filter(Boolean);

function info(name: string): RespValue[] {
  const meta = REDIS_COMMAND_META[name];
  assert.ok(meta, `no meta for ${name}`);
  assert.ok(Array.isArray(meta.info), `info for ${name} is not an array`);
  return meta.info;
}

test('every listed command has metadata', () => {
  for (const name of COMMANDS) {
    const meta = REDIS_COMMAND_META[name];
    assert.ok(meta, `no meta for ${name}`);
    assert.equal(info(name)[0], name);
    assert.ok(meta.docs !== null && typeof meta.docs === 'object' && 'map' in meta.docs, `docs for ${name}`);
  }
});

test('get: arity 2, keys 1..1 step 1', () => {
  const [name, arity, , first, last, step] = info('get');
  assert.deepEqual([name, arity, first, last, step], ['get', 2, 1, 1, 1]);
});

test('set: arity -3', () => {
  assert.equal(info('set')[1], -3);
});

test('client info lists its subcommands, including client|setname', () => {
  const subs = info('client')[9];
  assert.ok(Array.isArray(subs));
  const names = subs.map((s) => (Array.isArray(s) ? s[0] : undefined));
  assert.ok(names.includes('client|setname'), `subcommands: ${names.join(' ')}`);
  const setname = subs.find((s) => Array.isArray(s) && s[0] === 'client|setname');
  assert.ok(Array.isArray(setname));
  assert.equal(setname[1], 3);
});
