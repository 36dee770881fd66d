// The sandbox's tonumber: Lua's own, except that a plain decimal fraction is converted by V8.
//
// Why: a number a script stores (HSET key field 0.1 sends %.17g's "0.10000000000000001") comes
// back as a string that tonumber turns into a float through the C library's strtod. The VM's
// C library is musl's, compiled to wasm, whose exact conversion takes over a microsecond for 17
// significant digits: as long as the rest of a small script's run. V8's conversion (Number) is
// correctly rounded as strtod is, so both give the same double.
//
// The function is wasm of its own (wasm-encode.ts), so that the common cases stay as cheap as
// Lua's own C function: it calls the VM's exports directly, and JS only to convert a fraction.
//
//   (func $tonumber (param $L i32) (result i32)
//     (local $p i32) (local $n i32) (local $i i32) (local $c i32) (local $d f64)
//     (block $lua
//       (br_if $lua (i32.ne (call $gettop (local.get $L)) (i32.const 1)))        ;; a base: Lua's
//       (br_if $lua (i32.ne (call $type (local.get $L) (i32.const 1)) (i32.const 4)))  ;; not a string
//       (local.set $p (call $tolstring (local.get $L) (i32.const 1) (global.get $len)))
//       (local.set $n (i32.load (global.get $len)))
//       (block $fraction
//         (loop $scan                         ;; a '.', 'e' or 'E' anywhere, else Lua's (integers)
//           (br_if $lua (i32.eq (local.get $i) (local.get $n)))
//           (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
//           (br_if $fraction (i32.eq (local.get $c) (i32.const 46)))
//           (br_if $fraction (i32.eq (i32.or (local.get $c) (i32.const 32)) (i32.const 101)))
//           (local.set $i (i32.add (local.get $i) (i32.const 1)))
//           (br $scan)))
//       (local.set $d (call $convert (local.get $p) (local.get $n)))   ;; JS: NaN if not plain
//       (br_if $lua (f64.ne (local.get $d) (local.get $d)))
//       (call $pushnumber (local.get $L) (local.get $d))
//       (return (i32.const 1)))
//     (call $lua_tonumber (local.get $L)))
//
// convert (JS) takes the string only if it is -?D*(.D*)?([eE][+-]?D+)? with a digit before the
// exponent, at most 64 bytes: for those, l_str2int fails (a point or an exponent) and l_str2d's
// strtod gives the double Number gives. Anything else (spaces, '+', hexadecimal, inf, nan) is
// Lua's to convert.

import { latin1 } from '../../util/bytes.js';
import type { LuaVm } from './lua-vm.js';
import { F64, I32, OP, VOID, encodeModule, i32, instantiate, isWasmMemory, type Import } from './wasm-encode.js';

const MAX_LENGTH = 64;

// Functions 0-5 imported; locals 0 L, 1 p, 2 n, 3 i, 4 c, 5 d; global 0 the length's address.
const [GETTOP, TYPE, TOLSTRING, PUSHNUMBER, CONVERT, LUA_TONUMBER] = [0, 1, 2, 3, 4, 5];
const [L, P, N, I, C, D] = [0, 1, 2, 3, 4, 5];
const LEN = 0;
const get = (local: number): number[] => [OP.localGet, local];

const BODY = [
  OP.block, VOID,
  ...get(L), OP.call, GETTOP, ...i32(1), OP.i32Ne, OP.brIf, 0,
  ...get(L), ...i32(1), OP.call, TYPE, ...i32(4), OP.i32Ne, OP.brIf, 0,
  ...get(L), ...i32(1), OP.globalGet, LEN, OP.call, TOLSTRING, OP.localSet, P,
  OP.globalGet, LEN, OP.i32Load, 2, 0, OP.localSet, N,
  OP.block, VOID,
  OP.loop, VOID,
  ...get(I), ...get(N), OP.i32Eq, OP.brIf, 2,
  ...get(P), ...get(I), OP.i32Add, OP.i32Load8U, 0, 0, OP.localSet, C,
  ...get(C), ...i32(46), OP.i32Eq, OP.brIf, 1,
  ...get(C), ...i32(32), OP.i32Or, ...i32(101), OP.i32Eq, OP.brIf, 1,
  ...get(I), ...i32(1), OP.i32Add, OP.localSet, I,
  OP.br, 0,
  OP.end,
  OP.end,
  ...get(P), ...get(N), OP.call, CONVERT, OP.localSet, D,
  ...get(D), ...get(D), OP.f64Ne, OP.brIf, 0,
  ...get(L), ...get(D), OP.call, PUSHNUMBER,
  ...i32(1), OP.return,
  OP.end,
  ...get(L), OP.call, LUA_TONUMBER,
  OP.end,
];

const IMPORTS: Import[] = [
  { name: 'gettop', func: [[I32], [I32]] },
  { name: 'type', func: [[I32, I32], [I32]] },
  { name: 'tolstring', func: [[I32, I32, I32], [I32]] },
  { name: 'pushnumber', func: [[I32, F64], []] },
  { name: 'convert', func: [[I32, I32], [F64]] },
  { name: 'lua_tonumber', func: [[I32], [I32]] },
  { name: 'memory', memory: true },
  { name: 'len', global: I32 },
];
const MODULE = encodeModule(IMPORTS, [[I32], [I32]], [I32, I32, I32, I32, F64], BODY, 'tonumber');

/**
 * The sandbox's tonumber over the VM instance's exports, Lua's tonumber (luaB_tonumber, from the
 * function table) and a size_t scratch at lenPtr; null if the exports are not what it needs.
 */
export function fastTonumber(vm: LuaVm, exports: Record<string, unknown>, luaTonumber: unknown, lenPtr: number): ((L: number) => number) | null {
  const { memory, lua_gettop, lua_type, lua_tolstring, lua_pushnumber } = exports;
  if (!isWasmMemory(memory) || typeof luaTonumber !== 'function') return null;
  for (const f of [lua_gettop, lua_type, lua_tolstring, lua_pushnumber]) if (typeof f !== 'function') return null;
  const convert = (p: number, n: number): number => plainDecimal(vm.heapBytes(), p, p + n);
  const values = { gettop: lua_gettop, type: lua_type, tolstring: lua_tolstring, pushnumber: lua_pushnumber, convert, lua_tonumber: luaTonumber, memory, len: lenPtr };
  return instantiate(MODULE, IMPORTS, values, 'tonumber') as (L: number) => number;
}

/** The value of buf[start, end) if it is a plain decimal (see above), else NaN. */
export function plainDecimal(buf: Buffer, start: number, end: number): number {
  if (end - start > MAX_LENGTH) return NaN;
  let i = start;
  if (buf[i] === 45 /* - */) i++;
  let digits = 0;
  for (; i < end && buf[i] >= 48 && buf[i] <= 57; i++) digits++;
  if (i < end && buf[i] === 46 /* . */) for (i++; i < end && buf[i] >= 48 && buf[i] <= 57; i++) digits++;
  if (digits === 0) return NaN;
  if (i < end && (buf[i] | 32) === 101 /* e E */) {
    i++;
    if (i < end && (buf[i] === 43 || buf[i] === 45)) i++;
    const from = i;
    for (; i < end && buf[i] >= 48 && buf[i] <= 57; i++);
    if (i === from) return NaN;
  }
  return i === end ? Number(latin1(buf, start, end)) : NaN;
}
