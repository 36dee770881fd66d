// Byte-for-byte comparison of corral's scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT, FUNCTION, FCALL)
// with a real redis-server 7.0.15, in RESP2 and RESP3: the Lua <-> reply conversions both ways,
// the sandbox's errors, redis.* helpers, shebang flags, script and library management. Messages
// that come from the Lua VM itself (Lua 5.4 here, 5.1 in Redis) are left out: docs/scripting.md.

import { test, describe, before, after } from 'node:test';
import { startCorral, startRedis, type Started, type StartedCorral } from '../support/servers.js';
import { sameOnBoth, type Cmd } from '../support/compare.js';

let corral: StartedCorral;
let redis: Started;

before(async () => {
  corral = await startCorral();
  redis = await startRedis();
});

after(async () => {
  await corral?.close();
  await redis?.close();
});

const same = (cmds: Cmd[]): Promise<void> => sameOnBoth(corral.port, redis.port, [['SCRIPT', 'FLUSH'], ['FUNCTION', 'FLUSH'], ...cmds]);
const evals = (scripts: string[], keys: string[] = [], args: string[] = []): Cmd[] => scripts.map((s) => ['EVAL', s, keys.length, ...keys, ...args]);

describe('EVAL: Lua values to replies', () => {
  test('scalars, tables, status and error tables, nil and false', () =>
    same(
      evals([
        'return 100.5',
        'return -3.9',
        'return 1/0',
        "return 'hello world'",
        'return true',
        'return false',
        'return nil',
        "return {ok='fine'}",
        "return {err='ERR this is an error'}",
        "return {err='MYCODE custom'}",
        "return {err='no code'}",
        "return {1,2,3,'ciao',{1,2}}",
        'return {1,2,nil,4}',
        "return {1, redis.call('ping'), {ok='x'}, true, false, 2.5, {double=1.5}, {map={a=1}}, {set={b=true}}}",
        "return {ok='a\\r\\nb'}",
        "return {err='a\\nb'}",
        'return {}',
        "return {double=3.25}",
        "return {big_number='123456789012345678901234567890'}",
        "return {verbatim_string={format='txt', string='hello'}}",
        "return {map={k='v'}}",
        "return {set={x=true}}",
        'return _G == nil',
        "return string.rep('x', 3)",
        'return #KEYS .. #ARGV',
      ]),
    ));

  test('with redis.setresp(3): booleans, maps, sets, doubles, nulls', () =>
    same(
      evals([
        'redis.setresp(3) return true',
        'redis.setresp(3) return false',
        "redis.setresp(3) return {true, false, {double=1.5}, {map={a=1}}, {set={b=true}}, {big_number='123'}}",
        "redis.setresp(3) return redis.call('hgetall', KEYS[1])",
        "redis.setresp(3) local r = redis.call('hgetall', KEYS[1]) return r.map.f",
        "redis.setresp(3) return redis.call('get', 'nokey') == nil",
        "redis.setresp(3) return redis.call('zscore', KEYS[2], 'm')",
        "redis.setresp(3) return type(redis.call('zscore', KEYS[2], 'm'))",
        "redis.setresp(3) return redis.call('smembers', 'noset')",
        'redis.setresp(4)',
      ], ['h', 'z']).flatMap((c, i) => (i === 0 ? [['HSET', 'h', 'f', 'v'], ['ZADD', 'z', '1.5', 'm'], c] : [c])),
    ));
});

describe('EVAL: replies to Lua values', () => {
  test('integers, bulks, nil bulks, arrays, status and error replies', () =>
    same([
      ['SET', 'x', '10'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ...evals([
        "return redis.call('incr', KEYS[1])",
        "return type(redis.call('incr', KEYS[1]))",
        "return redis.call('get', KEYS[1]) .. 'z'",
        "return redis.call('get', 'nokey') == false",
        "return redis.call('lrange', KEYS[2], 0, -1)",
        "return #redis.call('lrange', KEYS[2], 0, -1)",
        "local r = redis.call('set', 'y', 1) return r.ok",
        "local r = redis.pcall('incr', KEYS[2]) return r.err",
        "return redis.pcall('incr', KEYS[2])",
        "return redis.call('incr', KEYS[2])",
        "return redis.call('exists', KEYS[1], 'nokey')",
        "return redis.call('hgetall', 'nohash')",
        'return redis.call("incrbyfloat", KEYS[1], 0.5)',
      ], ['x', 'l']),
    ]));

  test('numbers passed to redis.call', () =>
    same(
      evals([
        "redis.call('set', KEYS[1], 3.0) return redis.call('get', KEYS[1])",
        "redis.call('set', KEYS[1], 0.1) return redis.call('get', KEYS[1])",
        "redis.call('set', KEYS[1], 1e20) return redis.call('get', KEYS[1])",
        "redis.call('set', KEYS[1], -2^53) return redis.call('get', KEYS[1])",
        "redis.call('set', KEYS[1], 10/3) return redis.call('get', KEYS[1])",
        "return redis.call('set', KEYS[1], {})",
        "return redis.pcall('set', KEYS[1], {})",
        "return redis.call('set', KEYS[1], nil)",
      ], ['n']),
    ));
});

describe('EVAL: errors and the sandbox', () => {
  test('runtime errors, redis.call errors, unknown commands, arity', () =>
    same([
      ['SET', 'str', 'v'],
      ...evals([
        "error('boom')",
        "error({err='MY boom'})",
        "return redis.call('nosuch')",
        "return redis.pcall('nosuch')",
        "return redis.call('incr', 'a', 'b')",
        "return redis.call('lpush', KEYS[1], 'x')",
        "return pcall(redis.call, 'nosuch')",
        "local ok, e = pcall(redis.call, 'nosuch') return e",
        "local ok, e = pcall(error, 'x') return e",
        'return redis.call()',
        "return redis.call('multi')",
        "return redis.call('eval', 'return 1', 0)",
        "return redis.call('subscribe', 'c')",
        "return redis.error_reply('MY err')",
        "return redis.error_reply('-MY err')",
        "return redis.error_reply('noSpace')",
        "return redis.status_reply('FINE')",
        'return redis.error_reply(5)',
        'return redis.sha1hex()',
        // Lua's own type errors, in 5.1's words (corral's VM is 5.4 and rewords them).
        'local t = {} return t.x.y',
        'local a return a + 1',
        'return redis.nope()',
        'local s return #s',
        "local s return 'a' .. s",
        'local t = {} return t.f()',
        'local t = {} return t:m()',
      ], ['str']),
    ]));

  test('globals protection and missing libraries', () =>
    same(
      evals([
        'return a',
        'a = 10',
        'string.x = 1',
        'setmetatable(_G, {})',
        'local g = getmetatable(_G) g.__index = {}',
        'redis = function() return 1 end',
        '_G = {}',
        'redis.call = function() return 1 end',
        "getmetatable('').__index = {}",
        "return getmetatable('').__index.upper('a')",
        "loadfile('x')",
        "dofile('x')",
        "print('x')",
        "os.time()",
        "io.write('x')",
        "require('x')",
        'return unknownfn()',
        "local t = setmetatable({}, {__index=function() return 5 end}) return t.x",
      ]),
    ));

  test('redis.* helpers and constants', () =>
    same(
      evals([
        "return redis.sha1hex('')",
        "return redis.sha1hex('Pizza & Mandolino')",
        'return redis.REDIS_VERSION',
        'return redis.REDIS_VERSION_NUM',
        'return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}',
        'return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}',
        "redis.log(redis.LOG_WARNING, 'from a script') return 1",
        'redis.log(redis.LOG_WARNING)',
        "redis.log('x', 'y')",
        "redis.log(9, 'y')",
        'redis.set_repl(redis.REPL_ALL) return 1',
        'redis.set_repl(99)',
        'return redis.replicate_commands()',
        "return redis.acl_check_cmd('set', 'x', 'y')",
        "return redis.acl_check_cmd('nosuch')",
        "return tostring(10/2)",
        'return tonumber("0x10")',
        "return unpack({1, 2, 3})",
        'return table.getn({1, 2})',
        "return select('#', 1, 2, 3)",
      ]),
    ));
});

describe('EVAL: arguments, shebangs and management', () => {
  test('numkeys, KEYS and ARGV, EVALSHA and SCRIPT', () =>
    same([
      ['EVAL', 'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}', '2', 'a', 'b', 'c', 'd'],
      ['EVAL', 'return 1', '3', 'a'],
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', 'x'],
      ['EVAL', 'return 1'],
      ['SCRIPT', 'LOAD', 'return ARGV[1]'],
      ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0', 'v'],
      ['EVALSHA', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', '0', 'v'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['EVALSHA', 'abc', '0'],
      ['EVALSHA_RO', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0', 'ro'],
      ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'ffffffffffffffffffffffffffffffffffffffff'],
      ['SCRIPT', 'FLUSH', 'SYNC'],
      ['SCRIPT', 'FLUSH', 'BAD'],
      ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
      ['SCRIPT', 'KILL'],
      ['SCRIPT', 'NOSUCH'],
      ['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k'],
      ['EVAL_RO', "return redis.call('set', KEYS[1], 'v')", '1', 'k'],
      ['EVAL_RO', "return redis.pcall('del', KEYS[1])", '1', 'k'],
    ]));

  test('shebang flags', () =>
    same([
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set','x','y')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get','x')", '0'],
      ['EVAL', "#!lua\nreturn redis.call('set','x','y')", '0'],
      ['EVAL', '#!lua name=x\nreturn 1', '0'],
      ['EVAL', '#!lua flags=bogus\nreturn 1', '0'],
      ['EVAL', '#!js\nreturn 1', '0'],
      ['EVAL', '#!lua', '0'],
      ['EVAL_RO', "#!lua\nreturn 1", '0'],
      ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'],
      ['EVAL', "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", '0'],
      ['EVAL', "#!lua flags=no-writes\nerror('x')", '0'],
    ]));
});

const LIB1 = "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return string.upper(args[1]) end)";
const LIB6 =
  "#!lua name=lib6\nredis.register_function{function_name='f6', callback=function(k,a) return redis.call('set', k[1], 'x') end, flags={'no-writes'}, description='d'}";

describe('FUNCTION and FCALL', () => {
  test('load, call, list, delete, errors', () =>
    same([
      ['FUNCTION', 'LOAD', LIB1],
      ['FCALL', 'f1', '0', 'abc'],
      ['FCALL_RO', 'f1', '0', 'abc'],
      ['FUNCTION', 'LOAD', "#!lua name=lib2\nlocal x = string.upper('a')"],
      ['FUNCTION', 'LOAD', "#!lua name=lib3\nerror('boom')"],
      ['FUNCTION', 'LOAD', "#!lua name=lib4\nredis.register_function('f4', 5)"],
      ['FUNCTION', 'LOAD', '#!lua name=lib5\nreturn 1'],
      ['FUNCTION', 'LOAD', "#!lua name=lib1\nredis.register_function('f1', function() end)"],
      ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=lib1\nredis.register_function('f1', function() return 2 end)"],
      ['FCALL', 'f1', '0'],
      ['FUNCTION', 'LOAD', LIB6],
      ['FCALL', 'f6', '1', 'kk'],
      ['FCALL', 'nosuch', '0'],
      ['FCALL', 'f1', 'x'],
      ['FCALL', 'f1', '5'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'lib6'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'lib6', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME'],
      ['FUNCTION', 'LIST', 'BOGUS'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'LOAD', "#!lua name=lib8\nredis.register_function('f8', function(k,a) redis.register_function('zz', function() end) end)"],
      ['FUNCTION', 'LOAD', 'lua name=x\n'],
      ['FUNCTION', 'LOAD', '#!lua name=x y=1\n'],
      ['FUNCTION', 'LOAD', '#!lua name=x-y\n'],
      ['FUNCTION', 'LOAD', '#!js name=x\n'],
      ['FUNCTION', 'LOAD', '#!lua\n'],
      ['FUNCTION', 'LOAD', "#!lua name=dup\nredis.register_function('f1', function() end)"],
      ['FUNCTION', 'LOAD', "#!lua name=twice\nredis.register_function('t', function() end) redis.register_function('t', function() end)"],
      ['FUNCTION', 'LOAD', "#!lua name=named\nredis.register_function{function_name='n', callback=function() return 1 end, bogus=1}"],
      ['FUNCTION', 'LOAD', "#!lua name=named\nredis.register_function{function_name='n', callback=function() return 1 end, flags={'bogus'}}"],
      ['FUNCTION', 'LOAD', 'BOGUS', LIB1],
      ['FUNCTION', 'LOAD'],
      ['FUNCTION', 'DELETE', 'lib6'],
      ['FUNCTION', 'DELETE', 'lib6'],
      ['FUNCTION', 'KILL'],
      ['FUNCTION', 'FLUSH', 'BAD'],
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'LIST'],
    ]));

  test('FUNCTION RESTORE of bad payloads', () =>
    same([
      ['FUNCTION', 'RESTORE', 'bad'],
      ['FUNCTION', 'RESTORE', Buffer.from('f5c0010a00000000000000000000', 'hex')],
      ['FUNCTION', 'RESTORE', 'x', 'BOGUS'],
      ['FUNCTION', 'DUMP'],
    ]));
});
