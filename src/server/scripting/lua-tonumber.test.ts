// Tests for lua-tonumber.ts: the sandbox's tonumber gives what Lua's own gives (value, integer
// or float, nil, errors) for the strings it parses itself and for those it hands back to Lua.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LUA_OK, LuaVm } from './lua-vm.js';
import { fastTonumber, plainDecimal } from './lua-tonumber.js';

const vm = await LuaVm.create(0);
const L = vm.L;
const api = vm.api;
vm.getGlobal(L, 'tonumber');
const lua = vm.cfunctionAt(api._lua_tocfunction(L, -1))!;
api._lua_settop(L, 0);
const fast = fastTonumber(vm, vm.exports!, lua, api._malloc(8));
assert.notEqual(fast, null);
api._lua_pushcclosure(L, vm.cfunction(fast!), 0);
vm.setGlobal(L, 'fast_tonumber');

/** Runs Lua code returning a string. */
function run(source: string): string {
  const code = Buffer.from(source);
  assert.equal(vm.load(L, code, 0, code.length, '=test'), LUA_OK);
  const status = api._lua_pcallk(L, 0, 1, 0, 0, 0);
  const out = vm.toLatin1(L, -1) ?? '';
  api._lua_settop(L, 0);
  assert.equal(status, LUA_OK, out);
  return out;
}

const CASES = [
  '0', '1', '-1', '-0', '007', '42', '123456789012345', '-123456789012345', '1234567890123456', '9223372036854775807',
  '9223372036854775808', '-9223372036854775808', '99999999999999999999', '0.5', '-0.5', '.5', '-.5', '5.', '-5.', '.', '-',
  '', ' ', ' 5', '5 ', '\t5\n', '+5', '--5', '5e', '5e+', '1e5', '1E5', '1e+5', '1e-5', '-1.5e-3', '1e400', '-1e400', '1e-400',
  '0.1', '0.10000000000000001', '0.010000000000000000208', '99.009999999999991', '1733356800123', '17333568001234567',
  '2.2250738585072014e-308', '4.9406564584124654e-324', '1.7976931348623157e308', '0x10', '0X1p4', '0x', 'inf', 'nan',
  '-inf', '1.5.5', '1e5e5', 'abc', '12abc', '1_000', '１', '0.' + '1'.repeat(70), '1'.repeat(70), '5\\0', '3.14159265358979323846',
];

test('strings convert as Lua converts them', () => {
  const list = CASES.map((s) => `"${s.replace(/\\0/g, '\\0').replace(/\t/g, '\\t').replace(/\n/g, '\\n')}"`).join(', ');
  const out = run(`
    local cases = { ${list} }
    local bad = {}
    local function show(v) return math.type(v) or type(v), v == nil and 'nil' or string.format('%.17g', v) end
    for i, s in ipairs(cases) do
      local ta, va = show(tonumber(s))
      local tb, vb = show(fast_tonumber(s))
      if ta ~= tb or va ~= vb then bad[#bad + 1] = string.format('%q: lua %s %s, fast %s %s', s, ta, va, tb, vb) end
    end
    return #cases .. ' ' .. table.concat(bad, '; ')`);
  assert.equal(out, `${CASES.length} `);
});

test('plain decimals are what V8 converts; anything else is not', () => {
  const value = (s: string): number => plainDecimal(Buffer.from(s, 'latin1'), 0, s.length);
  assert.equal(value('0.10000000000000001'), 0.1);
  assert.equal(value('-1.5e-3'), -0.0015);
  assert.equal(value('5.'), 5);
  assert.equal(value('.5'), 0.5);
  for (const s of ['', '.', '-', 'e5', '1e', '1e+', ' 1.5', '1.5 ', '+1.5', '0x1.8p1', 'inf', 'nan', '1.5.5', '1' + '0'.repeat(64) + '.5']) {
    assert.ok(Number.isNaN(value(s)), s);
  }
});

test('numbers, other types, bases and errors are Lua\'s', () => {
  const out = run(`
    local r = {}
    for _, v in ipairs({ 5, -0.0, 1.5, math.huge, true, {} }) do
      r[#r + 1] = tostring(tonumber(v)) .. '/' .. tostring(fast_tonumber(v)) .. '/' .. tostring(math.type(fast_tonumber(v)))
    end
    r[#r + 1] = tostring(fast_tonumber('ff', 16)) .. '/' .. tostring(fast_tonumber('10', nil)) .. '/' .. tostring(fast_tonumber('z', 36))
    r[#r + 1] = select(2, pcall(fast_tonumber))
    r[#r + 1] = select(2, pcall(fast_tonumber, '10', 99))
    return table.concat(r, ' | ')`);
  assert.equal(
    out,
    "5/5/integer | -0.0/-0.0/float | 1.5/1.5/float | inf/inf/float | nil/nil/nil | nil/nil/nil | 255/10/35 | bad argument #1 to 'fast_tonumber' (value expected) | bad argument #2 to 'fast_tonumber' (base out of range)",
  );
});
