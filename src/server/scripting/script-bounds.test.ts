// Tests for script-bounds.ts: which scripts run without the count hook, read from the bytecode
// the VM's own compiler makes (so the opcode numbers it relies on are checked too).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LUA_OK, LuaVm } from './lua-vm.js';
import { scriptIsBounded } from './script-bounds.js';

const vm = await LuaVm.create(0);

/** string.dump(chunk, true) of a script's source. */
function dumpOf(source: string): Buffer {
  const L = vm.L;
  const api = vm.api;
  const code = Buffer.from(source);
  assert.equal(vm.load(L, code, 0, code.length, '@user_script'), LUA_OK, source);
  vm.getGlobal(L, 'string');
  vm.getField(L, -1, 'dump');
  api._lua_pushvalue(L, -3);
  api._lua_pushboolean(L, 1);
  assert.equal(api._lua_pcallk(L, 2, 1, 0, 0, 0), LUA_OK);
  const dump = vm.toBytes(L, -1)!;
  api._lua_settop(L, 0);
  return dump;
}

const bounded = (source: string): boolean => scriptIsBounded(dumpOf(source), 100_000);

test('straight-line scripts are bounded', () => {
  assert.equal(bounded('return 1'), true);
  assert.equal(bounded(''), true);
  // The benchmark's token bucket (bench/server-bench.ts).
  const tokenBucket = `local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000))
return allowed`;
  assert.equal(bounded(tokenBucket), true);
  assert.equal(bounded("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"), true);
  assert.equal(bounded("local ok, err = pcall(redis.call, 'incr', KEYS[1]) return {ok, err, 1.5, 'x', 2^40}"), true);
  assert.equal(bounded("return cjson.encode({a = 1, b = {1, 2, 3}})"), true);
});

test('loops, functions and the ways to new code are not bounded', () => {
  assert.equal(bounded('while true do end'), false);
  assert.equal(bounded('repeat local x = 1 until false'), false);
  assert.equal(bounded('for i = 1, 10 do end'), false);
  assert.equal(bounded('for k, v in pairs(KEYS) do end'), false);
  assert.equal(bounded('::top:: goto top'), false);
  assert.equal(bounded('local function f() return f() end return f()'), false);
  assert.equal(bounded('local f = function() end'), false);
  assert.equal(bounded("return loadstring('while true do end')()"), false);
  assert.equal(bounded("return load('return 1')()"), false);
  assert.equal(bounded("return _ENV['\\108oad']('return 1')()"), false);
  assert.equal(bounded("local e = _ENV return e"), false);
  assert.equal(bounded("return _G.loadstring"), false);
  assert.equal(bounded("local k = 'lo' .. 'ad' return rawget(_G, k)"), false);
});

test('a forward jump is not a loop', () => {
  assert.equal(bounded('local x = ARGV[1] if x == "a" then x = 1 elseif x == "b" then x = 2 else x = 3 end return x'), true);
  assert.equal(bounded('local a = ARGV[1] and ARGV[2] or ARGV[3] return a'), true);
});

test('long scripts and unexpected input are not bounded', () => {
  assert.equal(scriptIsBounded(dumpOf('local x = 1 x = x + 1 x = x + 1 return x'), 3), false);
  assert.equal(scriptIsBounded(Buffer.from('not a dump'), 100_000), false);
  // Cut inside the code.
  assert.equal(scriptIsBounded(dumpOf('return 1').subarray(0, 42), 100_000), false);
});
