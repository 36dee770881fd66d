// The Lua VM's allocator (lua_Alloc), as a WebAssembly function of its own: Lua calls it for
// every allocation and free (each string, table, closure), and a JS allocator costs a round trip
// from wasm to JS and back each time (a few percent of a small script's run). This one runs in
// wasm, calling the VM's own realloc and free directly (a call between two instances is a plain
// indirect call), and keeps the count and the limit in a cell of the VM's memory, where JS reads
// and writes them as plain numbers:
//
//   cell + 0   f64  bytes the VM holds
//   cell + 8   f64  the most it may hold
//   cell + 16  i32  1 while the limit applies (LuaVm.limitOn, and a limit is set)
//
// The function, as WebAssembly text (the bytes below encode exactly this):
//
//   (func $alloc (param $ud i32) (param $ptr i32) (param $osize i32) (param $nsize i32) (result i32)
//     (local $delta f64) (local $p i32)
//     (if (i32.eqz (local.get $nsize)) (then            ;; a free
//       (if (local.get $ptr) (then
//         (f64.store (global.get $cell) (f64.sub (f64.load (global.get $cell)) (f64.convert_i32_u (local.get $osize))))
//         (call $free (local.get $ptr))))
//       (return (i32.const 0))))
//     ;; A new block (ptr 0: osize is then the object's type, not a size) adds nsize bytes.
//     (local.set $delta (if (result f64) (local.get $ptr)
//       (then (f64.sub (f64.convert_i32_u (local.get $nsize)) (f64.convert_i32_u (local.get $osize))))
//       (else (f64.convert_i32_u (local.get $nsize)))))
//     (if (i32.load offset=16 (global.get $cell)) (then   ;; refused past the limit: Lua raises "not enough memory"
//       (if (f64.gt (local.get $delta) (f64.const 0)) (then
//         (if (f64.gt (f64.add (f64.load (global.get $cell)) (local.get $delta)) (f64.load offset=8 (global.get $cell)))
//           (then (return (i32.const 0))))))))
//     (local.tee $p (call $realloc (local.get $ptr) (local.get $nsize)))
//     (if (then (f64.store (global.get $cell) (f64.add (f64.load (global.get $cell)) (local.get $delta)))))
//     (local.get $p))

import { F64, I32, OP, VOID, encodeModule, i32, instantiate, isWasmMemory, type Import } from './wasm-encode.js';

// Indices: functions 0 realloc, 1 free (imported), 2 alloc; global 0 the cell's address;
// locals 0-3 the parameters, 4 delta, 5 p.
const REALLOC = 0;
const FREE = 1;
const CELL = 0;
const [PTR, OSIZE, NSIZE, DELTA, P] = [1, 2, 3, 4, 5];

/** memarg: alignment (log2) and offset. */
const F64_AT = (offset: number): number[] => [3, offset];
const I32_AT = (offset: number): number[] => [2, offset];
const get = (local: number): number[] => [OP.localGet, local];
const cell = [OP.globalGet, CELL];
const used = [...cell, OP.f64Load, ...F64_AT(0)];

const BODY = [
  ...get(NSIZE), OP.i32Eqz, OP.if, VOID,
  ...get(PTR), OP.if, VOID,
  ...cell, ...used, ...get(OSIZE), OP.f64FromU32, OP.f64Sub, OP.f64Store, ...F64_AT(0),
  ...get(PTR), OP.call, FREE,
  OP.end,
  ...i32(0), OP.return,
  OP.end,
  ...get(PTR), OP.if, F64,
  ...get(NSIZE), OP.f64FromU32, ...get(OSIZE), OP.f64FromU32, OP.f64Sub,
  OP.else,
  ...get(NSIZE), OP.f64FromU32,
  OP.end,
  OP.localSet, DELTA,
  ...cell, OP.i32Load, ...I32_AT(16), OP.if, VOID,
  ...get(DELTA), OP.f64Const, 0, 0, 0, 0, 0, 0, 0, 0, OP.f64Gt, OP.if, VOID,
  ...used, ...get(DELTA), OP.f64Add, ...cell, OP.f64Load, ...F64_AT(8), OP.f64Gt, OP.if, VOID,
  ...i32(0), OP.return,
  OP.end,
  OP.end,
  OP.end,
  ...get(PTR), ...get(NSIZE), OP.call, REALLOC, OP.localTee, P,
  OP.if, VOID,
  ...cell, ...used, ...get(DELTA), OP.f64Add, OP.f64Store, ...F64_AT(0),
  OP.end,
  ...get(P),
  OP.end,
];

const IMPORTS: Import[] = [
  { name: 'realloc', func: [[I32, I32], [I32]] },
  { name: 'free', func: [[I32], []] },
  { name: 'memory', memory: true },
  { name: 'cell', global: I32 },
];
const MODULE = encodeModule(IMPORTS, [[I32, I32, I32, I32], [I32]], [F64, I32], BODY, 'alloc');

export type LuaAlloc = (ud: number, ptr: number, osize: number, nsize: number) => number;

/**
 * Instantiates the allocator over the VM instance's exports (its memory, realloc and free) and
 * a cell of 24 bytes (8-aligned) at `cellPtr`; returns its function, or null if the exports
 * are not what it needs.
 */
export function wasmAllocator(exports: Record<string, unknown>, cellPtr: number): LuaAlloc | null {
  const { memory, realloc, free } = exports;
  if (!isWasmMemory(memory) || typeof realloc !== 'function' || typeof free !== 'function') return null;
  return instantiate(MODULE, IMPORTS, { realloc, free, memory, cell: cellPtr }, 'alloc') as LuaAlloc;
}
