// The Lua virtual machine scripts run on: Lua 5.4 compiled to WebAssembly (the `wasmoon`
// package), driven through its raw C API. This file owns the VM's memory (an allocator with a
// limit, so a script cannot grow the node without bound: lua-alloc.ts), moving bytes between
// Buffers and Lua strings (binary-safe: wasmoon's own helpers decode UTF-8), and registering JS
// functions as Lua C functions. Everything above it (scripting.ts) speaks in Lua stack
// operations. Where wasmoon's glue costs on every call, it is bypassed: the exports are called
// directly (directApi), and so are Lua's protected calls (invokeVii).

import { LuaWasm } from 'wasmoon';
import { wasmAllocator } from './lua-alloc.js';

/** Lua's type tags (lua.h). */
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;

/** Thread status codes (lua.h). */
export const LUA_OK = 0;
export const LUA_YIELD = 1;

/** lua_sethook's count mask. */
export const LUA_MASKCOUNT = 8;
export const LUA_MASKLINE = 4;

export const LUA_REGISTRYINDEX = -1001000;

/** A C function implemented in JS: reads its arguments from the stack, returns how many results it pushed. */
export type LuaCFunction = (L: number) => number;

type Module = LuaWasm['module'] & Record<string, (...args: never[]) => unknown>;

/** The wasm exports used here, typed as they are called. */
interface LuaApi {
  _malloc(n: number): number;
  _free(p: number): void;
  _realloc(p: number, n: number): number;
  _lua_newstate(alloc: number, ud: number): number;
  _luaL_openlibs(L: number): void;
  _lua_newthread(L: number): number;
  _lua_resetthread(L: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pushvalue(L: number, idx: number): void;
  _lua_rotate(L: number, idx: number, n: number): void;
  _lua_type(L: number, idx: number): number;
  _lua_isinteger(L: number, idx: number): number;
  _lua_isstring(L: number, idx: number): number;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  _lua_toboolean(L: number, idx: number): number;
  _lua_tocfunction(L: number, idx: number): number;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_pushnil(L: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushstring(L: number, s: number): number;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_rawget(L: number, idx: number): number;
  _lua_rawset(L: number, idx: number): void;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_getfield(L: number, idx: number, k: number): number;
  _lua_setfield(L: number, idx: number, k: number): void;
  _lua_getglobal(L: number, name: number): number;
  _lua_setglobal(L: number, name: number): void;
  _lua_next(L: number, idx: number): number;
  _lua_rawlen(L: number, idx: number): number;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nresults: number, errfunc: number, ctx: number, k: number): number;
  _lua_resume(L: number, from: number, narg: number, nres: number): number;
  _lua_yieldk(L: number, nresults: number, ctx: number, k: number): number;
  _lua_error(L: number): number;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _lua_rawgeti(L: number, t: number, n: bigint): number;
  _lua_getstack(L: number, level: number, ar: number): number;
  _lua_getinfo(L: number, what: number, ar: number): number;
  _lua_setupvalue(L: number, f: number, n: number): number;
  _lua_isyieldable(L: number): number;
  _lua_checkstack(L: number, n: number): number;
  _lua_callk(L: number, nargs: number, nresults: number, ctx: number, k: number): void;
}

type WasmExports = Record<string, unknown>;

/** Serializes VM creation (LuaVm.create). */
let creating: Promise<void> = Promise.resolve();

/**
 * The API calling the wasm exports directly: wasmoon's build wraps each export in a function that
 * checks, with assertion messages built on every call, that the runtime is ready (~5% of an
 * EVALSHA's CPU). Falls back to the wrappers if the instance was not caught.
 */
function directApi(m: LuaApi, exports: WasmExports | null): LuaApi {
  if (exports === null) return m;
  const api: Record<string, unknown> = {};
  for (const key of Object.keys(m)) {
    if (!key.startsWith('_')) continue;
    const raw = exports[key.slice(1)];
    api[key] = typeof raw === 'function' ? raw : (m as unknown as Record<string, unknown>)[key];
  }
  return api as unknown as LuaApi;
}

/**
 * emscripten's invoke_vii, which Lua's protected calls (lua_pcall, lua_resume: setjmp/longjmp,
 * emulated) go through: a call of the function-table entry `index` in a JS try/catch, where a
 * longjmp (Lua raising an error) arrives as a thrown number. Its own version reaches the stack
 * functions through wrappers that build assertion messages on every call; this one calls the
 * exports directly, once they are known (the original serves until then).
 */
function invokeVii(exportsOf: () => WasmExports | null, original: (index: number, a: number, b: number) => void): (index: number, a: number, b: number) => void {
  let ex: { stackSave(): number; stackRestore(sp: number): void; setThrew(a: number, b: number): void } | null = null;
  let table: { get(index: number): (a: number, b: number) => void } | null = null;
  // Entries looked up (only Lua's own protected functions come here: their entries never change).
  const fns: Array<(a: number, b: number) => void> = [];
  return (index, a, b) => {
    if (ex === null) {
      const exports = exportsOf();
      if (exports === null) return original(index, a, b);
      ex = exports as unknown as typeof ex;
      table = exports['__indirect_function_table'] as typeof table;
    }
    const sp = ex!.stackSave();
    try {
      let f = fns[index];
      if (f === undefined) f = fns[index] = table!.get(index);
      f(a, b);
    } catch (e) {
      ex!.stackRestore(sp);
      if (e !== (e as number) + 0) throw e;
      ex!.setThrew(1, 0);
    }
  };
}

/** Offset of `source` in lua_Debug on wasm32 (after event, name, namewhat, what). */
const AR_SOURCE = 16;

export class LuaVm {
  readonly api: LuaApi;
  /** The main state. */
  readonly L: number;
  private readonly module: Module;
  /** The wasm instance's exports (raw), when it was caught, and its function table (C function pointers index it). */
  readonly exports: WasmExports | null;
  private readonly table: { get(index: number): LuaCFunction } | null;
  /** The wasm memory, as bytes, 32-bit words and doubles (renewed when the memory grows: bytes()). */
  private heap: Buffer;
  private heap32: Uint32Array;
  private heapF64: Float64Array;
  /** The allocator's cell in the wasm memory (lua-alloc.ts): bytes held, limit, whether it applies. */
  private readonly cell: number;
  private limit = 0;
  private limiting = false;
  private scratch: number;
  private scratchSize = 4096;
  /** A size_t the API writes string lengths into, and an int for lua_resume's result count. */
  private readonly lenPtr: number;
  readonly nresPtr: number;
  /** A lua_Debug for sourceAt. */
  private readonly debugPtr: number;
  /** Interned C strings (field and global names). */
  private readonly names = new Map<string, number>();

  static async create(memoryLimit: number): Promise<LuaVm> {
    // One VM at a time: the wasm instance is caught on its way out of WebAssembly.instantiate.
    const previous = creating;
    let done!: () => void;
    creating = new Promise<void>((r) => (done = r));
    await previous;
    const wasm = (globalThis as unknown as { WebAssembly: { instantiate: (...args: unknown[]) => Promise<unknown> } }).WebAssembly;
    const instantiate = wasm.instantiate;
    let exports: WasmExports | null = null;
    wasm.instantiate = async (...args: unknown[]) => {
      const env = (args[1] as { env?: Record<string, unknown> } | undefined)?.env;
      const original = env?.['invoke_vii'];
      // Only the Lua VM's (another module of the process may instantiate wasm meanwhile).
      const lua = env !== undefined && typeof original === 'function' && typeof env['_emscripten_throw_longjmp'] === 'function';
      if (lua) env['invoke_vii'] = invokeVii(() => exports, original as (index: number, a: number, b: number) => void);
      const result = (await instantiate.apply(wasm, args)) as { instance?: { exports: WasmExports }; exports?: WasmExports };
      const caught = result.instance !== undefined ? result.instance.exports : result.exports;
      if (caught !== undefined && typeof caught.lua_newstate === 'function') exports = caught;
      return result;
    };
    try {
      const lw = await LuaWasm.initialize();
      return new LuaVm(lw, memoryLimit, exports);
    } finally {
      wasm.instantiate = instantiate;
      done();
    }
  }

  private constructor(lw: LuaWasm, memoryLimit: number, exports: WasmExports | null) {
    this.module = lw.module as Module;
    const m = this.module as unknown as LuaApi & LuaWasm['module'];
    this.api = directApi(m, exports);
    this.exports = exports;
    this.table = (exports?.['__indirect_function_table'] as LuaVm['table'] | undefined) ?? null;
    // 8-aligned: read as doubles (malloc's alignment is 8 or more; made sure of all the same).
    this.cell = (m._malloc(32) + 7) & ~7;
    this.heap = Buffer.from(m.HEAPU8.buffer);
    this.heap32 = new Uint32Array(m.HEAPU8.buffer);
    this.heapF64 = new Float64Array(m.HEAPU8.buffer);
    this.heap.fill(0, this.cell, this.cell + 24);
    this.memoryLimit = memoryLimit;
    const alloc =
      (exports !== null ? wasmAllocator(exports, this.cell) : null) ??
      ((_ud: number, ptr: number, oldSize: number, newSize: number) => this.jsAlloc(ptr, oldSize, newSize));
    this.L = m._lua_newstate(m.addFunction(alloc, 'iiiii'), 0);
    if (this.L === 0) throw new Error('the Lua VM could not be created');
    m._luaL_openlibs(this.L);
    this.scratch = m._malloc(this.scratchSize);
    this.lenPtr = m._malloc(8);
    this.nresPtr = m._malloc(8);
    this.debugPtr = m._malloc(256);
  }

  /** The allocator in JS (the instance's exports were not caught): as lua-alloc.ts's, slower. */
  private jsAlloc(ptr: number, oldSize: number, newSize: number): number {
    const at = this.cell >>> 3;
    if (newSize === 0) {
      if (ptr !== 0) {
        this.bytes();
        this.heapF64[at] -= oldSize;
        this.api._free(ptr);
      }
      return 0;
    }
    const delta = ptr !== 0 ? newSize - oldSize : newSize;
    this.bytes();
    if (delta > 0 && this.heap32[(this.cell >>> 2) + 4] !== 0 && this.heapF64[at] + delta > this.heapF64[at + 1]) return 0;
    const p = this.api._realloc(ptr, newSize);
    if (p !== 0) {
      this.bytes();
      this.heapF64[at] += delta;
    }
    return p;
  }

  /** Bytes the VM holds now. */
  get memoryUsed(): number {
    this.bytes();
    return this.heapF64[this.cell >>> 3];
  }

  /** The most the VM may hold while the limit applies (0: no limit). */
  get memoryLimit(): number {
    return this.limit;
  }

  set memoryLimit(n: number) {
    this.limit = n;
    this.bytes();
    this.heapF64[(this.cell >>> 3) + 1] = n;
    this.heap32[(this.cell >>> 2) + 4] = this.limiting && n > 0 ? 1 : 0;
  }

  /**
   * The limit applies while a script or a library's code runs (inside a protected call, where
   * a failed allocation is a Lua error). The engine's own work around it (KEYS and ARGV, reading
   * the result) runs unprotected, where a failed allocation would abort the whole VM: it is
   * never refused (it is bounded by the request's size, as in Redis).
   */
  get limitOn(): boolean {
    return this.limiting;
  }

  set limitOn(on: boolean) {
    this.limiting = on;
    this.bytes();
    this.heap32[(this.cell >>> 2) + 4] = on && this.limit > 0 ? 1 : 0;
  }

  /**
   * A Buffer over the wasm memory. Growing the memory detaches its old ArrayBuffer, whose views
   * then read as empty: that is the (cheap) sign to renew them. (Reading HEAPU8 off the
   * emscripten module each time is a dictionary lookup: the module has hundreds of properties.)
   */
  private bytes(): Buffer {
    if (this.heap.length === 0) {
      const buffer = this.module.HEAPU8.buffer;
      this.heap = Buffer.from(buffer);
      this.heap32 = new Uint32Array(buffer);
      this.heapF64 = new Float64Array(buffer);
    }
    return this.heap;
  }

  /** The wasm memory as bytes (valid until the VM next allocates). */
  heapBytes(): Buffer {
    return this.bytes();
  }

  /** The size_t lua_tolstring wrote at lenPtr. */
  private lastLength(): number {
    this.bytes();
    return this.heap32[this.lenPtr >>> 2];
  }

  private room(n: number): number {
    if (n > this.scratchSize) {
      this.api._free(this.scratch);
      this.scratchSize = Math.max(n, this.scratchSize * 2);
      this.scratch = this.api._malloc(this.scratchSize);
    }
    return this.scratch;
  }

  /** A NUL-terminated C string for a name, allocated once. */
  name(s: string): number {
    let p = this.names.get(s);
    if (p === undefined) {
      p = this.module.stringToNewUTF8(s) as number;
      this.names.set(s, p);
    }
    return p;
  }

  /** Registers a JS function as a C function; returns its pointer for lua_pushcclosure. */
  cfunction(fn: LuaCFunction): number {
    return this.module.addFunction(fn, 'ii') as number;
  }

  /** The wasm function a C function pointer (lua_tocfunction's) designates; null if unknown. */
  cfunctionAt(ptr: number): LuaCFunction | null {
    return ptr !== 0 && this.table !== null ? this.table.get(ptr) : null;
  }

  /** A hook function pointer (lua_Hook: void (*)(lua_State*, lua_Debug*)). */
  hook(fn: (L: number) => void): number {
    return this.module.addFunction(fn, 'vii') as number;
  }

  pushBytes(L: number, buf: Buffer, start = 0, end = buf.length): void {
    const n = end - start;
    const p = this.room(n);
    const heap = this.bytes();
    // Buffer#copy's fixed cost dwarfs a short loop.
    if (n <= 48) for (let i = 0; i < n; i++) heap[p + i] = buf[start + i];
    else buf.copy(heap, p, start, end);
    this.api._lua_pushlstring(L, p, n);
  }

  /** Pushes a binary string (each char one byte, as corral's latin1 strings). */
  pushLatin1(L: number, s: string): void {
    const p = this.room(s.length);
    this.bytes().write(s, p, s.length, 'latin1');
    this.api._lua_pushlstring(L, p, s.length);
  }

  /** The string (or number, converted in place as lua_tolstring does) at idx as bytes, or null. */
  toBytes(L: number, idx: number): Buffer | null {
    const p = this.api._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.lastLength();
    return Buffer.from(this.heap.subarray(p, p + n));
  }

  /** As toBytes, as a latin1 string. */
  toLatin1(L: number, idx: number): string | null {
    const p = this.api._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.lastLength();
    return this.heap.toString('latin1', p, p + n);
  }

  /** Copies the string at idx into out at pos (the caller made room: stringLength first); returns its length. */
  stringLength(L: number, idx: number): number {
    const p = this.api._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return -1;
    this.lastString = p;
    return this.lastLength();
  }

  private lastString = 0;

  /** Copies the bytes of the string stringLength just measured. */
  copyLastString(out: Buffer, pos: number, n: number): void {
    const heap = this.bytes();
    const from = this.lastString;
    if (n <= 48) for (let i = 0; i < n; i++) out[pos + i] = heap[from + i];
    else heap.copy(out, pos, from, from + n);
  }

  getField(L: number, idx: number, k: string): number {
    return this.api._lua_getfield(L, idx, this.name(k));
  }

  /** Pushes t[k] for the table at idx without metamethods (a script's table may have any); returns its type. */
  rawGetField(L: number, idx: number, k: string): number {
    this.api._lua_pushstring(L, this.name(k));
    return this.api._lua_rawget(L, idx < 0 && idx > LUA_REGISTRYINDEX ? idx - 1 : idx);
  }

  setField(L: number, idx: number, k: string): void {
    this.api._lua_setfield(L, idx, this.name(k));
  }

  getGlobal(L: number, k: string): number {
    return this.api._lua_getglobal(L, this.name(k));
  }

  setGlobal(L: number, k: string): void {
    this.api._lua_setglobal(L, this.name(k));
  }

  /** The chunk name of the function running at `level` (0: the current one), or null. */
  sourceAt(L: number, level: number): string | null {
    if (this.api._lua_getstack(L, level, this.debugPtr) === 0) return null;
    this.api._lua_getinfo(L, this.name('S'), this.debugPtr);
    const heap = this.bytes();
    const p = heap.readUInt32LE(this.debugPtr + AR_SOURCE);
    if (p === 0) return null;
    return heap.toString('latin1', p, heap.indexOf(0, p));
  }

  /** Compiles a chunk onto the stack; returns LUA_OK or an error status (message on the stack). */
  load(L: number, code: Buffer, start: number, end: number, chunkName: string): number {
    const n = end - start;
    const p = this.room(n);
    code.copy(this.bytes(), p, start, end);
    return this.api._luaL_loadbufferx(L, p, n, this.name(chunkName), this.name('t'));
  }

  /** Runs Lua source (trusted, ours) on the main state; throws with Lua's message if it fails. */
  exec(source: string, chunkName: string, nresults = 0): void {
    const code = Buffer.from(source, 'utf8');
    const L = this.L;
    if (this.load(L, code, 0, code.length, chunkName) !== LUA_OK || this.api._lua_pcallk(L, 0, nresults, 0, 0, 0) !== LUA_OK) {
      const msg = this.toLatin1(L, -1);
      this.api._lua_settop(L, 0);
      throw new Error(`Lua: ${msg}`);
    }
  }
}
