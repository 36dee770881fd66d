// FUNCTION libraries (Redis 7.0's functions.c and function_lua.c): loading a library's code
// (its "#!lua name=..." header, then code that calls redis.register_function), the registry of
// libraries and their functions, and FUNCTION DUMP / RESTORE payloads. Calling a function is a
// script run (scripting.ts) of its callback with (keys, args).

import { decodeRdbFunctions } from '../../store/rdb.js';
import { DumpPayloadError } from '../../store/dump.js';
import { rdbDumpFunctions } from '../../store/rdb-write.js';
import { LUA_TNIL, LUA_TSTRING, LUA_TTABLE, LUA_REGISTRYINDEX } from './lua-vm.js';
import { SCRIPT_FLAG_NAMES, type CompiledScript, type Scripting } from './scripting.js';
import { splitArgs } from '../../util/split-args.js';

export interface FunctionInfo extends CompiledScript {
  name: string;
  description: string | null;
  library: Library;
}

export interface Library {
  name: string;
  /** The whole code given to FUNCTION LOAD, header included (FUNCTION LIST WITHCODE, DUMP). */
  code: Buffer;
  functions: Map<string, FunctionInfo>;
}

/** FUNCTION LOAD's time limit for a library's code (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
const NAME_RE = /^[A-Za-z0-9_]+$/;
const ERR_NAME = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

export class Functions {
  /** By lowercased name: library and function names are case-insensitive, as in Redis. */
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionInfo>();

  constructor(private readonly scripting: Scripting) {}

  /** FUNCTION LOAD: the library's name, or the error to reply (without "ERR "). */
  load(code: Buffer, replace: boolean, timeoutMs = LOAD_TIMEOUT_MS): { name: string } | { error: string } {
    const created = this.create(code, replace, this.libraries, this.functions, timeoutMs);
    if ('error' in created) return created;
    const old = this.libraries.get(created.lib.name.toLowerCase());
    if (old !== undefined) this.unlink(old);
    this.link(created.lib);
    return { name: created.lib.name };
  }

  /** Compiles and runs a library's code; checks its functions against `functions` (minus a replaced library's). */
  private create(
    code: Buffer,
    replace: boolean,
    libraries: Map<string, Library>,
    functions: Map<string, FunctionInfo>,
    timeoutMs: number,
  ): { lib: Library } | { error: string } {
    const meta = parseLibraryHeader(code);
    if ('error' in meta) return meta;
    if (!NAME_RE.test(meta.name)) return { error: ERR_NAME };
    if (meta.engine.toLowerCase() !== 'lua') return { error: `Engine '${meta.engine}' not found` };
    const old = libraries.get(meta.name.toLowerCase());
    if (old !== undefined && !replace) return { error: `Library '${meta.name}' already exists` };
    const lib: Library = { name: meta.name, code: Buffer.from(code), functions: new Map() };
    const ref = this.scripting.compileLibrary(code, meta.codeStart);
    if (typeof ref === 'string') return { error: `Error compiling function: ${ref}` };
    const failed = this.scripting.runLibrary(ref, (L) => this.register(L, lib), timeoutMs);
    this.scripting.unref(ref);
    const release = (): void => {
      for (const f of lib.functions.values()) this.scripting.unref(f.ref);
    };
    if (failed !== null) {
      release();
      return { error: `Error registering functions: ${failed}` };
    }
    if (lib.functions.size === 0) return { error: 'No functions registered' };
    for (const f of lib.functions.values()) {
      const other = functions.get(f.name.toLowerCase());
      if (other !== undefined && other.library !== old) {
        release();
        return { error: `Function ${f.name} already exists` };
      }
    }
    return { lib };
  }

  private link(lib: Library): void {
    this.libraries.set(lib.name.toLowerCase(), lib);
    for (const f of lib.functions.values()) this.functions.set(f.name.toLowerCase(), f);
  }

  private unlink(lib: Library, release = true): void {
    this.libraries.delete(lib.name.toLowerCase());
    for (const f of lib.functions.values()) {
      this.functions.delete(f.name.toLowerCase());
      if (release) this.scripting.unref(f.ref);
    }
  }

  /** redis.register_function(name, callback) or redis.register_function{function_name=..., callback=..., flags=..., description=...}. */
  private register(L: number, lib: Library): number {
    const s = this.scripting;
    const vm = s.vm;
    const api = vm.api;
    const argc = api._lua_gettop(L);
    if (argc < 1 || argc > 2) return s.raise(L, 'wrong number of arguments to redis.register_function');
    let name: string | null = null;
    let description: string | null = null;
    let flags = 0;
    let ref = -1;
    if (argc === 2) {
      if (api._lua_isstring(L, 1) === 0) return s.raise(L, 'first argument to redis.register_function must be a string');
      if (api._lua_type(L, 2) !== 6 /* function */) return s.raise(L, 'second argument to redis.register_function must be a function');
      name = vm.toLatin1(L, 1);
      ref = api._luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
      if (api._lua_type(L, 1) !== LUA_TTABLE) {
        return s.raise(L, 'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      }
      let error: string | null = null;
      api._lua_pushnil(L);
      while (error === null && api._lua_next(L, 1) !== 0) {
        if (api._lua_type(L, -2) !== LUA_TSTRING) {
          error = 'named argument key given to redis.register_function is not a string';
          break;
        }
        const key = (vm.toLatin1(L, -2) ?? '').toLowerCase();
        if (key === 'function_name') {
          if (api._lua_isstring(L, -1) === 0) error = 'function_name argument given to redis.register_function must be a string';
          else name = vm.toLatin1(L, -1);
        } else if (key === 'description') {
          if (api._lua_isstring(L, -1) === 0) error = 'description argument given to redis.register_function must be a string';
          else description = vm.toLatin1(L, -1);
        } else if (key === 'callback') {
          if (api._lua_type(L, -1) !== 6) error = 'callback argument given to redis.register_function must be a function';
          else {
            if (ref >= 0) s.unref(ref);
            ref = api._luaL_ref(L, LUA_REGISTRYINDEX);
            continue;
          }
        } else if (key === 'flags') {
          if (api._lua_type(L, -1) !== LUA_TTABLE) error = 'flags argument to redis.register_function must be a table representing function flags';
          else {
            const f = readFlags(s, L);
            if (f < 0) error = 'unknown flag given';
            else flags = f;
          }
        } else {
          error = 'unknown argument given to redis.register_function';
        }
        api._lua_settop(L, -2);
      }
      if (error === null && name === null) error = 'redis.register_function must get a function name argument';
      if (error === null && ref < 0) error = 'redis.register_function must get a callback argument';
      if (error !== null) {
        if (ref >= 0) s.unref(ref);
        api._lua_settop(L, 0);
        return s.raise(L, error);
      }
    }
    if (!NAME_RE.test(name!)) {
      s.unref(ref);
      return s.raise(L, ERR_NAME);
    }
    if (lib.functions.has(name!.toLowerCase())) {
      s.unref(ref);
      return s.raise(L, 'Function already exists in the library');
    }
    lib.functions.set(name!.toLowerCase(), { name: name!, description, flags, ref, body: lib.code, library: lib });
    return 0;
  }

  /** FUNCTION DELETE (names are case-insensitive, as Redis's dictionaries). */
  delete(name: string): boolean {
    const lib = this.libraries.get(name.toLowerCase());
    if (lib === undefined) return false;
    this.unlink(lib);
    return true;
  }

  flush(): void {
    for (const lib of [...this.libraries.values()]) this.unlink(lib);
  }

  dump(): Buffer {
    return rdbDumpFunctions([...this.libraries.values()].map((l) => l.code));
  }

  /** FUNCTION RESTORE: null, or the error to reply (without "ERR "). */
  restore(payload: Buffer, policy: 'append' | 'replace' | 'flush'): string | null {
    let codes: Buffer[];
    try {
      codes = decodeRdbFunctions(payload);
    } catch (err) {
      if (err instanceof DumpPayloadError) return 'DUMP payload version or checksum are wrong';
      return (err as Error).message;
    }
    // Load everything aside first: a failure leaves the current libraries untouched.
    const libraries = new Map<string, Library>();
    const functions = new Map<string, FunctionInfo>();
    const loaded: Library[] = [];
    const discard = (): void => {
      for (const lib of loaded) for (const f of lib.functions.values()) this.scripting.unref(f.ref);
    };
    for (const code of codes) {
      const created = this.create(code, false, libraries, functions, 0);
      if ('error' in created) {
        discard();
        return created.error;
      }
      loaded.push(created.lib);
      libraries.set(created.lib.name.toLowerCase(), created.lib);
      for (const [n, f] of created.lib.functions) functions.set(n, f);
    }
    if (policy === 'flush') {
      this.flush();
    } else {
      for (const lib of loaded) {
        const old = this.libraries.get(lib.name.toLowerCase());
        if (old !== undefined && policy === 'append') {
          discard();
          return `Library ${lib.name} already exists`;
        }
        for (const name of lib.functions.keys()) {
          const other = this.functions.get(name);
          if (other !== undefined && (policy === 'append' || other.library.name.toLowerCase() !== lib.name.toLowerCase())) {
            discard();
            return `Function ${name} already exists`;
          }
        }
      }
      for (const lib of loaded) {
        const old = this.libraries.get(lib.name.toLowerCase());
        if (old !== undefined) this.unlink(old);
      }
    }
    for (const lib of loaded) this.link(lib);
    return null;
  }
}

/** The flags table of a named registration: the flag bits, or -1 for an unknown flag. */
function readFlags(s: Scripting, L: number): number {
  const vm = s.vm;
  const api = vm.api;
  let flags = 0;
  for (let j = 1; ; j++) {
    api._lua_pushnumber(L, j);
    const t = api._lua_rawget(L, -2);
    if (t === LUA_TNIL) {
      api._lua_settop(L, -2);
      return flags;
    }
    const name = api._lua_isstring(L, -1) !== 0 ? (vm.toLatin1(L, -1) ?? '').toLowerCase() : null;
    api._lua_settop(L, -2);
    const def = name === null ? undefined : SCRIPT_FLAG_NAMES.find(([n]) => n === name);
    if (def === undefined) return -1;
    flags |= def[1];
  }
}

/** A library's first line, "#!<engine> name=<name>": the engine, the name, where the code starts. */
export function parseLibraryHeader(code: Buffer): { engine: string; name: string; codeStart: number } | { error: string } {
  if (code.length < 2 || code[0] !== 35 || code[1] !== 33) return { error: 'Missing library metadata' };
  const nl = code.indexOf(10);
  if (nl < 0) return { error: 'Invalid library metadata' };
  const parts = splitArgs(code.toString('latin1', 0, nl));
  if (parts === null || parts.length === 0) return { error: 'Invalid library metadata' };
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return { error: 'Invalid metadata value, name argument was given multiple times' };
      name = part.slice(5);
      continue;
    }
    return { error: `Invalid metadata value given: ${part}` };
  }
  if (name === null) return { error: 'Library name was not given' };
  // The code starts at the header's newline, so line numbers stay the user's.
  return { engine, name, codeStart: nl };
}

