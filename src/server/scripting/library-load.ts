// FUNCTION libraries' code in the scripting engine's VM: compiling a library (chunk
// "@user_function", in the functions' sandbox) and running its code (FUNCTION LOAD) with its
// redis.register_function calls going to a registrar, for at most a timeout: a count hook raises
// "FUNCTION LOAD timeout" in the library's code once it has run too long. Also setting a
// sandbox as a compiled chunk's _ENV, which EVAL scripts share (scripting.ts).

import { performance } from 'node:perf_hooks';
import { errorText, pushErrorTable } from './lua-reply.js';
import type { RedisApi } from './redis-api.js';
import { LUA_MASKCOUNT, LUA_MASKLINE, LUA_OK, LUA_REGISTRYINDEX, LUA_TSTRING, type LuaVm } from './lua-vm.js';

/** Sets a sandbox (the runner's env or fenv) as _ENV of the function on top of the stack. */
export function setSandboxEnv(vm: LuaVm, runnerRef: number, L: number, envName = 'env'): void {
  const api = vm.api;
  api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(runnerRef));
  vm.getField(L, -1, envName);
  api._lua_rotate(L, -2, 1);
  api._lua_settop(L, -2);
  // The main chunk's first upvalue is _ENV.
  api._lua_setupvalue(L, -2, 1);
}

export class LibraryLoader {
  private loadHook: number | null = null;
  private loadStarted = 0;
  private loadTimeout = 0;

  /** runnerRef: the engine's runner table; hookInstructions: the count hook's period. */
  constructor(
    private readonly vm: LuaVm,
    private readonly runnerRef: number,
    private readonly redis: RedisApi,
    private readonly hookInstructions: number,
  ) {}

  /**
   * Compiles code for a FUNCTION library (chunk "@user_function", in the functions' sandbox);
   * returns its registry reference or Lua's message.
   */
  compile(code: Buffer, start: number): number | string {
    const vm = this.vm;
    const L = vm.L;
    if (vm.load(L, code, start, code.length, '@user_function') !== LUA_OK) {
      const msg = vm.toLatin1(L, -1) ?? '';
      vm.api._lua_settop(L, -2);
      return msg;
    }
    setSandboxEnv(vm, this.runnerRef, L, 'fenv');
    return vm.api._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  /**
   * Runs a compiled library's code (FUNCTION LOAD) with `registrar` taking its
   * redis.register_function calls, for at most timeoutMs (0: no limit). Returns null or the
   * error's message (Redis's luaExtractErrorInformation).
   */
  run(ref: number, registrar: (L: number) => number, timeoutMs: number): string | null {
    const vm = this.vm;
    const api = vm.api;
    const L = vm.L;
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.runnerRef));
    vm.getField(L, -1, 'load_library');
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref));
    this.redis.registrar = registrar;
    const started = performance.now();
    if (timeoutMs > 0) {
      this.loadStarted = started;
      this.loadTimeout = timeoutMs;
      this.loadHook ??= vm.hook((L) => {
        if (performance.now() - this.loadStarted <= this.loadTimeout) return;
        // Raised in the library's code, not in the engine's wrapper around it.
        if (vm.sourceAt(L, 0) === '=prelude') return;
        api._lua_sethook(L, this.loadHook!, LUA_MASKLINE, 0);
        pushErrorTable(vm, L, 'FUNCTION LOAD timeout');
        api._lua_error(L);
      });
      api._lua_sethook(L, this.loadHook, LUA_MASKCOUNT, this.hookInstructions);
    }
    vm.limitOn = true;
    const status = api._lua_pcallk(L, 1, 2, 0, 0, 0);
    vm.limitOn = false;
    api._lua_sethook(L, 0, 0, 0);
    this.redis.registrar = null;
    let error: string | null = null;
    if (status !== LUA_OK) error = `ERR ${vm.toLatin1(L, -1) ?? ''}`;
    else if (api._lua_toboolean(L, -2) === 0) {
      if (api._lua_type(L, -1) === LUA_TSTRING) error = `ERR ${vm.toLatin1(L, -1)}`;
      else if (api._lua_type(L, -1) === 5 /* table */) error = errorText(vm, L);
      else error = 'ERR unknown error';
    }
    api._lua_settop(L, 0);
    return error;
  }
}
