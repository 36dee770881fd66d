// The scripting engine: one Lua VM per node, the script cache (EVAL / SCRIPT LOAD, by SHA1) and
// runs of a script with Redis 7.0's rules (the redis.* API scripts call is redis-api.ts; loading
// FUNCTION libraries, library-load.ts).
//
// A run: the script runs in a coroutine, its commands through the node (ScriptHost.call) as a
// client of its own, each reply parsed back into Lua (lua-reply.ts). A count hook fires every
// 100,000 Lua instructions; once a run has lasted busy-reply-threshold ms it yields at each hook
// to the event loop, and meanwhile the node answers other clients BUSY (dispatch.ts) except for
// SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE. SCRIPT KILL makes the next hook raise an error
// (at every line from then on, so pcall cannot swallow it), if the script has not written.
// The caller is blocked while its script yields and gets its reply when the script ends.
// An EVAL script that cannot loop (script-bounds.ts) runs without the hook, which in Lua 5.4
// costs a call per instruction.
//
// Writes a script makes reach replicas as its effects (the commands it ran) in one MULTI/EXEC.

import { performance } from 'node:perf_hooks';
import type { CommandArgs } from '../../protocol/request-parser.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import { internalClient, type Client } from '../client.js';
import { LUA_LIBS_SOURCE } from './lua-libs.js';
import { LUA_PRELUDE } from './lua-prelude.js';
import { SMALL_BIGINTS, isCountedError, pushErrorTable, writeLuaValue, writeScriptError } from './lua-reply.js';
import { fastTonumber } from './lua-tonumber.js';
import { RedisApi } from './redis-api.js';
import { scriptIsBounded } from './script-bounds.js';
import { ERR_MASTERDOWN } from '../../commands/errors.js';
import {
  Run,
  SCRIPT_ALLOW_CROSS_SLOT,
  SCRIPT_ALLOW_OOM,
  SCRIPT_EVAL_COMPAT,
  SCRIPT_NO_WRITES,
  declaredFlagsRefusal,
  parseShebang,
  sha1Hex,
  type CompiledScript,
  type ScriptHost,
} from './script-run.js';

export * from './script-run.js';
import { LUA_MASKCOUNT, LUA_MASKLINE, LUA_OK, LUA_REGISTRYINDEX, LUA_YIELD, LuaVm } from './lua-vm.js';
import { LibraryLoader, setSandboxEnv } from './library-load.js';

/** Scripts cached by EVAL (not SCRIPT LOAD) beyond this many are dropped, oldest first. */
const EVAL_CACHE_MAX = 500;
const HOOK_INSTRUCTIONS = 100_000;

export class Scripting {
  readonly vm: LuaVm;
  private readonly host: ScriptHost;
  /** SHA1 (lowercase hex) -> script. */
  readonly scripts = new Map<string, CompiledScript & { fromEval: boolean }>();
  private evalCached = 0;
  /** The run in progress, or null. */
  running: Run | null = null;
  /** The client scripts' commands run as. */
  private readonly client: Client;
  /** Registry references: the runner table, its eval and fcall functions, the coroutine scripts run in. */
  private readonly runnerRef: number;
  private readonly evalRef: bigint;
  private readonly fcallRef: bigint;
  private readonly dumpRef: bigint;
  private co: number;
  private readonly coRef: number;
  private readonly hookPtr: number;
  /** The count hook is set on co (it stays set between runs: see run). */
  private hooked = false;
  /** The redis.* functions scripts call (redis-api.ts). */
  private readonly redis: RedisApi;
  /** FUNCTION libraries' compiling and loading (library-load.ts). */
  private readonly libraries: LibraryLoader;

  static async create(host: ScriptHost, memoryLimit: number): Promise<Scripting> {
    return new Scripting(host, await LuaVm.create(memoryLimit));
  }

  private constructor(host: ScriptHost, vm: LuaVm) {
    this.host = host;
    this.vm = vm;
    this.client = internalClient('lua');
    this.client.inScript = true;
    this.redis = new RedisApi(vm, host, this.client, () => this.running);
    const L = vm.L;
    const api = vm.api;
    // The prelude, given redis, the loader of the libraries (cjson, cmsgpack, struct, bit: compiled
    // when a script first names one), the library-load API and the sandbox's tonumber.
    vm.getGlobal(L, 'tonumber');
    const luaTonumber = vm.cfunctionAt(api._lua_tocfunction(L, -1));
    api._lua_settop(L, -2);
    const tonumber = vm.exports !== null && luaTonumber !== null ? fastTonumber(vm, vm.exports, luaTonumber, api._malloc(8)) : null;
    const code = Buffer.from(LUA_PRELUDE);
    if (vm.load(L, code, 0, code.length, '=prelude') !== LUA_OK) throw new Error(`Lua prelude: ${vm.toLatin1(L, -1)}`);
    this.redis.pushRedisApi(L);
    api._lua_pushcclosure(L, vm.cfunction((L) => this.loadLibs(L)), 0);
    this.redis.pushLibraryApi(L);
    if (tonumber === null) api._lua_pushnil(L);
    else api._lua_pushcclosure(L, vm.cfunction(tonumber), 0);
    if (api._lua_pcallk(L, 4, 1, 0, 0, 0) !== LUA_OK) throw new Error(`Lua prelude: ${vm.toLatin1(L, -1)}`);
    this.runnerRef = api._luaL_ref(L, LUA_REGISTRYINDEX);
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.runnerRef));
    vm.getField(L, -1, 'eval');
    this.evalRef = BigInt(api._luaL_ref(L, LUA_REGISTRYINDEX));
    vm.getField(L, -1, 'fcall');
    this.fcallRef = BigInt(api._luaL_ref(L, LUA_REGISTRYINDEX));
    vm.getField(L, -1, 'dump');
    this.dumpRef = BigInt(api._luaL_ref(L, LUA_REGISTRYINDEX));
    api._lua_settop(L, -2);
    this.co = api._lua_newthread(L);
    this.coRef = api._luaL_ref(L, LUA_REGISTRYINDEX);
    this.hookPtr = vm.hook((co) => this.onHook(co));
    this.libraries = new LibraryLoader(vm, this.runnerRef, this.redis, HOOK_INSTRUCTIONS);
  }

  /** The libraries chunk, run in the caller's (protected) context: returns its table of libraries. */
  private loadLibs(L: number): number {
    const vm = this.vm;
    const code = Buffer.from(LUA_LIBS_SOURCE, 'utf8');
    if (vm.load(L, code, 0, code.length, '=libs') !== LUA_OK) return vm.api._lua_error(L);
    vm.api._lua_callk(L, 0, 1, 0, 0);
    return 1;
  }

  /** Lua's memory in use, in bytes (INFO used_memory_lua). */
  get memoryUsed(): number {
    return this.vm.memoryUsed;
  }

  get busy(): boolean {
    return this.running !== null && this.running.timedOut;
  }

  static sha1(body: Buffer, start = 0, end = body.length): string {
    return sha1Hex(body, start, end);
  }

  /**
   * Compiles a script body (EVAL, SCRIPT LOAD) unless cached; returns its SHA1, or an error
   * message for the caller.
   */
  load(body: Buffer, fromEval: boolean): { sha: string } | { error: string } {
    const sha = Scripting.sha1(body);
    const cached = this.scripts.get(sha);
    if (cached !== undefined) {
      if (!fromEval && cached.fromEval) {
        cached.fromEval = false;
        this.evalCached--;
      }
      return { sha };
    }
    const shebang = parseShebang(body);
    if ('error' in shebang) return { error: shebang.error };
    const vm = this.vm;
    const L = vm.L;
    // Keep the shebang line's newline, so line numbers stay the user's.
    if (vm.load(L, body, shebang.length, body.length, '@user_script') !== LUA_OK) {
      const msg = vm.toLatin1(L, -1) ?? '';
      vm.api._lua_settop(L, -2);
      return { error: `ERR Error compiling script (new function): ${msg}` };
    }
    setSandboxEnv(vm, this.runnerRef, L);
    const bounded = this.isBounded(L);
    const ref = vm.api._luaL_ref(L, LUA_REGISTRYINDEX);
    this.scripts.set(sha, { ref, flags: shebang.flags, body: Buffer.from(body), fromEval, bounded });
    if (fromEval && ++this.evalCached > EVAL_CACHE_MAX) this.evictOldestEvalScript();
    return { sha };
  }

  /** Whether the compiled script on top of the stack is bounded (script-bounds.ts). */
  private isBounded(L: number): boolean {
    const vm = this.vm;
    const api = vm.api;
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, this.dumpRef);
    api._lua_pushvalue(L, -2);
    const dump = api._lua_pcallk(L, 1, 1, 0, 0, 0) === LUA_OK ? vm.toBytes(L, -1) : null;
    api._lua_settop(L, -2);
    return dump !== null && scriptIsBounded(dump, HOOK_INSTRUCTIONS);
  }

  /** Compiles code for a FUNCTION library: its registry reference or Lua's message (library-load.ts). */
  compileLibrary(code: Buffer, start: number): number | string {
    return this.libraries.compile(code, start);
  }

  /** Runs a compiled library's code (FUNCTION LOAD) for at most timeoutMs: null or the error (library-load.ts). */
  runLibrary(ref: number, registrar: (L: number) => number, timeoutMs: number): string | null {
    return this.libraries.run(ref, registrar, timeoutMs);
  }

  /** Raises an error table from inside a C function (for FUNCTION's registrar). */
  raise(L: number, message: string): number {
    return this.redis.raise(L, message);
  }

  /** Releases a registry reference (a replaced or deleted library's functions). */
  unref(ref: number): void {
    this.vm.api._luaL_unref(this.vm.L, LUA_REGISTRYINDEX, ref);
  }

  private evictOldestEvalScript(): void {
    for (const [sha, s] of this.scripts) {
      if (!s.fromEval) continue;
      this.scripts.delete(sha);
      this.vm.api._luaL_unref(this.vm.L, LUA_REGISTRYINDEX, s.ref);
      this.evalCached--;
      return;
    }
  }

  /** EVAL's use of a cached script: it becomes the most recently used. */
  touch(sha: string): CompiledScript | undefined {
    const s = this.scripts.get(sha);
    if (s !== undefined && s.fromEval) {
      this.scripts.delete(sha);
      this.scripts.set(sha, s);
    }
    return s;
  }

  /** SCRIPT FLUSH. */
  flush(): void {
    for (const s of this.scripts.values()) this.vm.api._luaL_unref(this.vm.L, LUA_REGISTRYINDEX, s.ref);
    this.scripts.clear();
    this.evalCached = 0;
    const vm = this.vm;
    const L = vm.L;
    vm.api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.runnerRef));
    vm.getField(L, -1, 'unload_libs');
    vm.api._lua_pcallk(L, 0, 0, 0, 0, 0);
    vm.api._lua_settop(L, 0);
    vm.exec('collectgarbage()', '=gc');
  }

  /**
   * Runs a compiled script for a client: replies now, or (a script still running after
   * busy-reply-threshold) blocks the client and replies when the script ends.
   * keys/argv are argument positions [from, to) in args.
   */
  run(
    caller: Client,
    script: CompiledScript,
    name: string,
    args: CommandArgs,
    keysFrom: number,
    argvFrom: number,
    mode: { ro: boolean; evalMode: boolean; canYield: boolean },
  ): void {
    const w = this.host.writer;
    const flags = script.flags;
    const run = new Run(caller, name);
    run.evalMode = mode.evalMode;
    run.canYield = mode.canYield;
    const compat = (flags & SCRIPT_EVAL_COMPAT) !== 0;
    if (!compat) {
      const refusal = declaredFlagsRefusal(this.host, flags, mode.ro);
      if (refusal !== null) {
        w.error(refusal);
        return;
      }
    } else if (this.host.runningStale()) {
      w.error(ERR_MASTERDOWN);
      return;
    }
    run.readOnly = mode.ro || (!compat && (flags & SCRIPT_NO_WRITES) !== 0);
    run.allowOom = !compat && (flags & SCRIPT_ALLOW_OOM) !== 0;
    run.allowCrossSlot = compat || (flags & SCRIPT_ALLOW_CROSS_SLOT) !== 0;
    // The declared keys fix the slot the script's own keys must hash to (cluster mode).
    if (!run.allowCrossSlot && keysFrom < argvFrom) run.slot = this.host.keySlot(args.buf, args.start[keysFrom], args.end[keysFrom]);
    run.oomAtStart = this.host.overMemory();
    if (!mode.evalMode) {
      run.command = [];
      for (let i = 0; i < args.argc; i++) run.command.push(Buffer.from(args.buf.subarray(args.start[i], args.end[i])));
    }
    // Only the hook reads the clock during a run: a bounded script is not timed (0: just started).
    if (script.bounded !== true) run.startedAt = performance.now();
    this.client.db = caller.db;
    this.running = run;

    const vm = this.vm;
    const api = vm.api;
    const co = this.co;
    api._lua_rawgeti(co, LUA_REGISTRYINDEX, mode.evalMode ? this.evalRef : this.fcallRef);
    api._lua_rawgeti(co, LUA_REGISTRYINDEX, BigInt(script.ref));
    this.pushArray(co, args, keysFrom, argvFrom);
    this.pushArray(co, args, argvFrom, args.argc);
    // The count hook stays set on the coroutine from run to run (its count carries over: it
    // fires every HOOK_INSTRUCTIONS of scripts, and does nothing between runs). A bounded script
    // runs without it (script-bounds.ts).
    const hook = script.bounded !== true && this.host.busyThreshold() > 0;
    if (hook !== this.hooked) {
      api._lua_sethook(co, hook ? this.hookPtr : 0, hook ? LUA_MASKCOUNT : 0, hook ? HOOK_INSTRUCTIONS : 0);
      this.hooked = hook;
    }
    this.host.beginEffects();
    vm.limitOn = true;
    const status = api._lua_resume(co, vm.L, 3, vm.nresPtr);
    vm.limitOn = false;
    if (status === LUA_YIELD) {
      this.host.block(caller);
      setImmediate(() => this.resume());
      return;
    }
    this.finish(status, w, true);
  }

  private pushArray(L: number, args: CommandArgs, from: number, to: number): void {
    const api = this.vm.api;
    api._lua_createtable(L, to - from, 0);
    for (let i = from; i < to; i++) {
      this.vm.pushBytes(L, args.buf, args.start[i], args.end[i]);
      const j = i - from + 1;
      api._lua_rawseti(L, -2, j < SMALL_BIGINTS.length ? SMALL_BIGINTS[j] : BigInt(j));
    }
  }

  /** Runs the yielded script for another slice (the node answers others BUSY in between). */
  private resume(): void {
    const run = this.running;
    if (run === null) return;
    const w = this.host.writer;
    w.begin();
    this.vm.limitOn = true;
    const status = this.vm.api._lua_resume(this.co, this.vm.L, 0, this.vm.nresPtr);
    this.vm.limitOn = false;
    w.discard();
    if (status === LUA_YIELD) {
      setImmediate(() => this.resume());
      return;
    }
    let replied = false;
    this.host.unblock(run.caller, (out) => {
      replied = true;
      this.finish(status, out, false);
    });
    if (!replied) {
      // The caller left meanwhile: end the run all the same.
      w.begin();
      this.finish(status, w, false);
      w.discard();
    }
  }

  /** The script ended: its result (or error) becomes the caller's reply. */
  private finish(status: number, w: ReplyWriter, viaCall: boolean): void {
    const run = this.running!;
    const vm = this.vm;
    const api = vm.api;
    const co = this.co;
    this.host.endEffects();
    if (run.killed) {
      // SCRIPT KILL turned the hook into a line hook.
      api._lua_sethook(co, 0, 0, 0);
      this.hooked = false;
    }
    this.running = null;
    const at = w.pendingBytes;
    let counted = false;
    if (status === LUA_OK) {
      // The runner returned xpcall's results: ok, then the script's first result or the error.
      const ok = api._lua_toboolean(co, 1) !== 0;
      if (api._lua_gettop(co) < 2) api._lua_pushnil(co);
      api._lua_settop(co, 2);
      counted = isCountedError(vm, co);
      if (ok) writeLuaValue(vm, co, w, run.resp);
      else writeScriptError(vm, co, w, run.name);
    } else {
      // Only the engine's own failures (out of memory inside the error handler) land here.
      const msg = vm.toLatin1(co, -1) ?? 'execution failure';
      w.error(`ERR Error running script ${run.name}, ${msg.slice(0, 100)}`);
    }
    api._lua_settop(co, 0);
    if (w.pendingBytes > at && w.byteAt(at) === 45) this.host.errorReplied(w, at, counted, viaCall);
    if (status !== LUA_OK) this.resetThread();
    // A script that ran the VM to its limit leaves its garbage there: collect it now, so the
    // next script starts with room (and INFO's used_memory_lua says what is live).
    if (vm.memoryLimit > 0 && vm.memoryUsed > vm.memoryLimit * 0.75) vm.exec('collectgarbage()', '=gc');
    if (run.timedOut) this.host.log('warning', `Slow script ended after ${Math.round(performance.now() - run.startedAt)} milliseconds.`);
  }

  private resetThread(): void {
    const api = this.vm.api;
    api._luaL_unref(this.vm.L, LUA_REGISTRYINDEX, this.coRef);
    this.co = api._lua_newthread(this.vm.L);
    (this as unknown as { coRef: number }).coRef = api._luaL_ref(this.vm.L, LUA_REGISTRYINDEX);
    this.hooked = false;
  }

  /** The count hook: BUSY after busy-reply-threshold, SCRIPT KILL. */
  private onHook(L: number): void {
    const run = this.running;
    if (run === null) return;
    const api = this.vm.api;
    if (run.killed) {
      // Not inside the engine's own Lua (the error handler, pcall's wrapper): the error would
      // become "error in error handling"; the next line of the script raises it.
      if (this.vm.sourceAt(L, 0) === '=prelude') return;
      api._lua_sethook(L, this.hookPtr, LUA_MASKLINE, 0);
      pushErrorTable(this.vm, L, 'Script killed by user with SCRIPT KILL...');
      api._lua_error(L);
      return;
    }
    if (!run.timedOut) {
      const elapsed = performance.now() - run.startedAt;
      if (elapsed < this.host.busyThreshold() || !run.canYield) return;
      run.timedOut = true;
      this.host.log(
        'warning',
        `Slow script detected: still in execution after ${Math.round(elapsed)} milliseconds. You can try killing the script using the ${run.evalMode ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${run.name}.`,
      );
    }
    if (api._lua_isyieldable(L) !== 0) api._lua_yieldk(L, 0, 0, 0);
  }

  /** The script running now (FUNCTION STATS), or null. */
  get current(): { name: string; evalMode: boolean; command: Buffer[]; durationMs: number } | null {
    const run = this.running;
    if (run === null) return null;
    return { name: run.name, evalMode: run.evalMode, command: run.command ?? [], durationMs: run.startedAt === 0 ? 0 : Math.floor(performance.now() - run.startedAt) };
  }

  /** The node is stopping: a running script ends at its next hook, whatever it wrote. */
  close(): void {
    if (this.running !== null) this.running.killed = true;
  }

  /** What the node answers other clients while a script is busy. */
  get busyError(): string {
    return this.running !== null && !this.running.evalMode
      ? 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.'
      : 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
  }

  /** SCRIPT KILL / FUNCTION KILL: the error to reply, or null when the script will stop. */
  kill(evalKill: boolean): string | null {
    const run = this.running;
    if (run === null) return 'NOTBUSY No scripts in execution right now.';
    if (run.writeDirty) {
      return 'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
    }
    if (evalKill && !run.evalMode) return 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
    if (!evalKill && run.evalMode) return 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
    run.killed = true;
    return null;
  }
}
