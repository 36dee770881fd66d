// The scripting engine: one Lua VM per node, the script cache (EVAL / SCRIPT LOAD, by SHA1),
// runs of a script with Redis 7.0's rules, and the redis.* API scripts call.
//
// A run: the script runs in a coroutine, its commands through the node (ScriptHost.call) as a
// client of its own, each reply parsed back into Lua (lua-reply.ts). A count hook fires every
// 100,000 Lua instructions; once a run has lasted busy-reply-threshold ms it yields at each hook
// to the event loop, and meanwhile the node answers other clients BUSY (dispatch.ts) except for
// SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE. SCRIPT KILL makes the next hook raise an error
// (at every line from then on, so pcall cannot swallow it), if the script has not written.
// The caller is blocked while its script yields and gets its reply when the script ends.
//
// Writes a script makes reach replicas as its effects (the commands it ran) in one MULTI/EXEC.

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CommandArgs } from '../../protocol/request-parser.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import { formatDouble } from '../../protocol/reply-writer.js';
import {
  CMD_DENYOOM,
  CMD_MAY_REPLICATE,
  CMD_NOSCRIPT,
  CMD_WRITE,
  CommandTable,
  type Command,
} from '../../commands/table.js';
import { internalClient, type Client } from '../client.js';
import { splitArgs } from '../../util/split-args.js';
import { LUA_LIBS_SOURCE } from './lua-libs.js';
import { LUA_PRELUDE } from './lua-prelude.js';
import { errorText, pushErrorTable, pushReply, writeLuaValue } from './lua-reply.js';
import { LUA_MASKCOUNT, LUA_MASKLINE, LUA_OK, LUA_REGISTRYINDEX, LUA_TNUMBER, LUA_TSTRING, LUA_YIELD, LuaVm } from './lua-vm.js';

/** What the engine needs of the node. */
export interface ScriptHost {
  readonly table: CommandTable;
  readonly writer: ReplyWriter;
  /** Runs a command as the dispatcher's call() does (stats, replication, tracking). */
  call(client: Client, cmd: Command, args: CommandArgs): void;
  /** Why a write cannot run now (a read-only replica, a lapsed write lease), or null. */
  writeRefusal(): string | null;
  /** Over maxmemory with nothing left to evict. */
  overMemory(): boolean;
  /** Cluster mode: why the command's keys cannot be served here (or null), and their slot (-1: no keys). */
  clusterCheck(cmd: Command, args: CommandArgs, caller: Client): { error: string | null; slot: number } | null;
  /** Cluster mode: the slot of a key; -1 otherwise. */
  keySlot(buf: Buffer, start: number, end: number): number;
  beginEffects(): void;
  endEffects(): void;
  block(client: Client): void;
  unblock(client: Client, reply: (w: ReplyWriter) => void): void;
  busyThreshold(): number;
  log(level: 'warning' | 'notice' | 'verbose' | 'debug', line: string): void;
}

/** Shebang flags (#!lua flags=...), as Redis's SCRIPT_FLAG_*. */
export const SCRIPT_NO_WRITES = 1;
export const SCRIPT_ALLOW_OOM = 2;
export const SCRIPT_ALLOW_STALE = 4;
export const SCRIPT_NO_CLUSTER = 8;
export const SCRIPT_EVAL_COMPAT = 16;
export const SCRIPT_ALLOW_CROSS_SLOT = 32;

export const SCRIPT_FLAG_NAMES: Array<[string, number]> = [
  ['no-writes', SCRIPT_NO_WRITES],
  ['allow-oom', SCRIPT_ALLOW_OOM],
  ['allow-stale', SCRIPT_ALLOW_STALE],
  ['no-cluster', SCRIPT_NO_CLUSTER],
  ['allow-cross-slot-keys', SCRIPT_ALLOW_CROSS_SLOT],
];

/** A compiled script or function: its Lua function (a registry reference) and flags. */
export interface CompiledScript {
  ref: number;
  flags: number;
  body: Buffer;
}

/** Scripts cached by EVAL (not SCRIPT LOAD) beyond this many are dropped, oldest first. */
const EVAL_CACHE_MAX = 500;
const HOOK_INSTRUCTIONS = 100_000;

/** One run's state (Redis's scriptRunCtx). */
class Run {
  readOnly = false;
  allowOom = false;
  allowCrossSlot = false;
  evalMode = true;
  writeDirty = false;
  timedOut = false;
  killed = false;
  /** The caller may be blocked while the script yields (not inside EXEC). */
  canYield = true;
  oomAtStart = false;
  slot = -1;
  resp = 2;
  startedAt = 0;
  /** FCALL's arguments (FUNCTION STATS shows them). */
  command: Buffer[] | null = null;
  constructor(
    readonly caller: Client,
    readonly name: string,
  ) {}
}

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
  /** Registry references: the runner table, the coroutine scripts run in. */
  private readonly runnerRef: number;
  private co: number;
  private readonly coRef: number;
  private readonly hookPtr: number;
  /** redis.call's arguments, built in place. */
  private argBuf = Buffer.allocUnsafe(4096);
  private readonly args: CommandArgs = { buf: this.argBuf, argc: 0, start: [], end: [] };
  private inCall = false;
  /** Extra Lua code that registers the FUNCTION library API (functions.ts). */
  onLog: ((level: string, line: string) => void) | null = null;

  static async create(host: ScriptHost, memoryLimit: number): Promise<Scripting> {
    return new Scripting(host, await LuaVm.create(memoryLimit));
  }

  private constructor(host: ScriptHost, vm: LuaVm) {
    this.host = host;
    this.vm = vm;
    this.client = internalClient('lua');
    this.client.inScript = true;
    const L = vm.L;
    const api = vm.api;
    // The libraries (cjson, cmsgpack, struct, bit), then the prelude given (redis, libs).
    vm.exec(LUA_LIBS_SOURCE, '=libs', 1);
    const libs = api._luaL_ref(L, LUA_REGISTRYINDEX);
    const code = Buffer.from(LUA_PRELUDE);
    if (vm.load(L, code, 0, code.length, '=prelude') !== LUA_OK) throw new Error(`Lua prelude: ${vm.toLatin1(L, -1)}`);
    this.pushRedisApi(L);
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(libs));
    this.pushLibraryApi(L);
    if (api._lua_pcallk(L, 3, 1, 0, 0, 0) !== LUA_OK) throw new Error(`Lua prelude: ${vm.toLatin1(L, -1)}`);
    this.runnerRef = api._luaL_ref(L, LUA_REGISTRYINDEX);
    this.co = api._lua_newthread(L);
    this.coRef = api._luaL_ref(L, LUA_REGISTRYINDEX);
    this.hookPtr = vm.hook((co) => this.onHook(co));
  }

  /** What a FUNCTION library sees of `redis` while it loads. */
  private pushLibraryApi(L: number): void {
    const vm = this.vm;
    const api = vm.api;
    api._lua_createtable(L, 0, 8);
    api._lua_pushcclosure(L, vm.cfunction((L) => this.registerFunction(L)), 0);
    vm.setField(L, -2, 'register_function');
    api._lua_pushcclosure(L, vm.cfunction((L) => this.redisLog(L)), 0);
    vm.setField(L, -2, 'log');
    this.pushConstants(L, false);
  }

  private pushConstants(L: number, repl: boolean): void {
    const vm = this.vm;
    const num = (name: string, n: number): void => {
      vm.api._lua_pushinteger(L, BigInt(n));
      vm.setField(L, -2, name);
    };
    num('LOG_DEBUG', 0);
    num('LOG_VERBOSE', 1);
    num('LOG_NOTICE', 2);
    num('LOG_WARNING', 3);
    if (repl) {
      num('REPL_NONE', 0);
      num('REPL_AOF', 1);
      num('REPL_SLAVE', 2);
      num('REPL_REPLICA', 2);
      num('REPL_ALL', 3);
    }
    num('REDIS_VERSION_NUM', 0x07000f);
    vm.pushLatin1(L, '7.0.15');
    vm.setField(L, -2, 'REDIS_VERSION');
  }

  private pushRedisApi(L: number): void {
    const vm = this.vm;
    const api = vm.api;
    api._lua_createtable(L, 0, 24);
    const fn = (name: string, f: (L: number) => number): void => {
      api._lua_pushcclosure(L, vm.cfunction(f), 0);
      vm.setField(L, -2, name);
    };
    fn('call', (L) => this.redisCall(L, true));
    fn('pcall', (L) => this.redisCall(L, false));
    fn('sha1hex', (L) => this.sha1hex(L));
    fn('error_reply', (L) => this.errorReply(L));
    fn('status_reply', (L) => this.statusReply(L));
    fn('log', (L) => this.redisLog(L));
    fn('setresp', (L) => this.setResp(L));
    fn('set_repl', (L) => this.setRepl(L));
    fn('replicate_commands', (L) => {
      api._lua_pushboolean(L, 1);
      return 1;
    });
    fn('breakpoint', (L) => {
      api._lua_pushboolean(L, 0);
      return 1;
    });
    fn('debug', () => 0);
    fn('acl_check_cmd', (L) => this.aclCheckCmd(L));
    this.pushConstants(L, true);
  }

  /** Lua's memory in use, in bytes (INFO used_memory_lua). */
  get memoryUsed(): number {
    return this.vm.memoryUsed;
  }

  get busy(): boolean {
    return this.running !== null && this.running.timedOut;
  }

  static sha1(body: Buffer, start = 0, end = body.length): string {
    return createHash('sha1').update(body.subarray(start, end)).digest('hex');
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
    this.setEnv(L);
    const ref = vm.api._luaL_ref(L, LUA_REGISTRYINDEX);
    this.scripts.set(sha, { ref, flags: shebang.flags, body: Buffer.from(body), fromEval });
    if (fromEval && ++this.evalCached > EVAL_CACHE_MAX) this.evictOldestEvalScript();
    return { sha };
  }

  /**
   * Compiles code for a FUNCTION library (chunk "@user_function", in the functions' sandbox);
   * returns its registry reference or Lua's message.
   */
  compileLibrary(code: Buffer, start: number): number | string {
    const vm = this.vm;
    const L = vm.L;
    if (vm.load(L, code, start, code.length, '@user_function') !== LUA_OK) {
      const msg = vm.toLatin1(L, -1) ?? '';
      vm.api._lua_settop(L, -2);
      return msg;
    }
    this.setEnv(L, 'fenv');
    return vm.api._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  /** Called by redis.register_function while a library loads (server/scripting/functions.ts). */
  registrar: ((L: number) => number) | null = null;

  private registerFunction(L: number): number {
    if (this.registrar === null) return this.fail(L, 'redis.register_function can only be called on FUNCTION LOAD command', true);
    return this.registrar(L);
  }

  /** Raises an error table from inside a C function (for the registrar). */
  raise(L: number, message: string): number {
    return this.fail(L, message, true);
  }

  /**
   * Runs a compiled library's code (FUNCTION LOAD) with `registrar` taking its
   * redis.register_function calls, for at most timeoutMs (0: no limit). Returns null or the
   * error's message (Redis's luaExtractErrorInformation).
   */
  runLibrary(ref: number, registrar: (L: number) => number, timeoutMs: number): string | null {
    const vm = this.vm;
    const api = vm.api;
    const L = vm.L;
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.runnerRef));
    vm.getField(L, -1, 'load_library');
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(ref));
    this.registrar = registrar;
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
      api._lua_sethook(L, this.loadHook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    }
    const status = api._lua_pcallk(L, 1, 2, 0, 0, 0);
    api._lua_sethook(L, 0, 0, 0);
    this.registrar = null;
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

  private loadHook: number | null = null;
  private loadStarted = 0;
  private loadTimeout = 0;

  /** Releases a registry reference (a replaced or deleted library's functions). */
  unref(ref: number): void {
    this.vm.api._luaL_unref(this.vm.L, LUA_REGISTRYINDEX, ref);
  }

  /** Sets a sandbox (the runner's env or fenv) as _ENV of the function on top of the stack. */
  private setEnv(L: number, envName = 'env'): void {
    const api = this.vm.api;
    api._lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(this.runnerRef));
    this.vm.getField(L, -1, envName);
    api._lua_rotate(L, -2, 1);
    api._lua_settop(L, -2);
    // The main chunk's first upvalue is _ENV.
    api._lua_setupvalue(L, -2, 1);
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
    this.vm.exec('collectgarbage()', '=gc');
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
      const refusal = this.checkDeclaredFlags(flags, mode.ro);
      if (refusal !== null) {
        w.error(refusal);
        return;
      }
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
    run.startedAt = performance.now();
    this.client.db = caller.db;
    this.running = run;

    const vm = this.vm;
    const api = vm.api;
    const co = this.co;
    api._lua_rawgeti(co, LUA_REGISTRYINDEX, BigInt(this.runnerRef));
    vm.getField(co, -1, mode.evalMode ? 'eval' : 'fcall');
    api._lua_rotate(co, -2, 1);
    api._lua_settop(co, -2);
    api._lua_rawgeti(co, LUA_REGISTRYINDEX, BigInt(script.ref));
    this.pushArray(co, args, keysFrom, argvFrom);
    this.pushArray(co, args, argvFrom, args.argc);
    if (this.host.busyThreshold() > 0) api._lua_sethook(co, this.hookPtr, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    this.host.beginEffects();
    const status = api._lua_resume(co, vm.L, 3, vm.nresPtr);
    if (status === LUA_YIELD) {
      this.host.block(caller);
      setImmediate(() => this.resume());
      return;
    }
    this.finish(status, w);
  }

  /** A script's declared flags against the node's state (Redis's scriptPrepareForRun). */
  private checkDeclaredFlags(flags: number, ro: boolean): string | null {
    if ((flags & SCRIPT_NO_WRITES) === 0) {
      const refusal = this.host.writeRefusal();
      // Redis's command-level check (the script's flags make the call a write) answers first.
      if (refusal !== null && refusal.startsWith('READONLY')) return refusal;
      if (ro) return 'ERR Can not execute a script with write flag using *_ro command.';
    }
    if ((flags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0 && this.host.overMemory()) {
      return "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
    }
    return null;
  }

  private pushArray(L: number, args: CommandArgs, from: number, to: number): void {
    const api = this.vm.api;
    api._lua_createtable(L, to - from, 0);
    for (let i = from; i < to; i++) {
      api._lua_pushnumber(L, i - from + 1);
      this.vm.pushBytes(L, args.buf, args.start[i], args.end[i]);
      api._lua_rawset(L, -3);
    }
  }

  /** Runs the yielded script for another slice (the node answers others BUSY in between). */
  private resume(): void {
    const run = this.running;
    if (run === null) return;
    const w = this.host.writer;
    w.begin();
    const status = this.vm.api._lua_resume(this.co, this.vm.L, 0, this.vm.nresPtr);
    w.discard();
    if (status === LUA_YIELD) {
      setImmediate(() => this.resume());
      return;
    }
    let replied = false;
    this.host.unblock(run.caller, (out) => {
      replied = true;
      this.finish(status, out);
    });
    if (!replied) {
      // The caller left meanwhile: end the run all the same.
      w.begin();
      this.finish(status, w);
      w.discard();
    }
  }

  /** The script ended: its result (or error) becomes the caller's reply. */
  private finish(status: number, w: ReplyWriter): void {
    const run = this.running!;
    const vm = this.vm;
    const api = vm.api;
    const co = this.co;
    this.host.endEffects();
    api._lua_sethook(co, 0, 0, 0);
    this.running = null;
    if (status === LUA_OK) {
      // The runner returned xpcall's results: ok, then the script's first result or the error.
      const ok = api._lua_toboolean(co, 1) !== 0;
      if (api._lua_gettop(co) < 2) api._lua_pushnil(co);
      api._lua_settop(co, 2);
      if (ok) writeLuaValue(vm, co, w, run.resp);
      else this.writeError(co, w, run);
    } else {
      // Only the engine's own failures (out of memory inside the error handler) land here.
      const msg = vm.toLatin1(co, -1) ?? 'execution failure';
      w.error(`ERR Error running script ${run.name}, ${msg.slice(0, 100)}`);
    }
    api._lua_settop(co, 0);
    if (status !== LUA_OK) this.resetThread();
    if (run.timedOut) this.host.log('warning', `Slow script ended after ${Math.round(performance.now() - run.startedAt)} milliseconds.`);
  }

  private resetThread(): void {
    const api = this.vm.api;
    api._luaL_unref(this.vm.L, LUA_REGISTRYINDEX, this.coRef);
    this.co = api._lua_newthread(this.vm.L);
    (this as unknown as { coRef: number }).coRef = api._luaL_ref(this.vm.L, LUA_REGISTRYINDEX);
  }

  /** The error a script raised, as Redis's luaCallFunction words it. */
  private writeError(L: number, w: ReplyWriter, run: Run): void {
    const vm = this.vm;
    const api = vm.api;
    if (api._lua_type(L, -1) !== 5 /* table */) {
      const msg = vm.toLatin1(L, -1) ?? 'execution failure';
      w.error(`ERR Error running script ${run.name}, ${msg.slice(0, 100)}`);
      return;
    }
    let msg = errorText(vm, L);
    if (msg === '' && vm.getField(L, -1, 'err') !== LUA_TSTRING) {
      api._lua_settop(L, -2);
      msg = '';
    } else if (msg === '') {
      api._lua_settop(L, -2);
    }
    const line = this.fieldText(L, 'line');
    const source = this.fieldText(L, 'source');
    if (line !== null && source !== null) msg += ` script: ${run.name}, on ${source}:${line}.`;
    w.error(msg);
  }

  private fieldText(L: number, name: string): string | null {
    const vm = this.vm;
    const t = vm.getField(L, -1, name);
    const s = t === LUA_TSTRING || t === LUA_TNUMBER ? vm.toLatin1(L, -1) : null;
    vm.api._lua_settop(L, -2);
    return s;
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
    return { name: run.name, evalMode: run.evalMode, command: run.command ?? [], durationMs: Math.floor(performance.now() - run.startedAt) };
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

  // ---- redis.* ------------------------------------------------------------------------------

  /** Raises the error table on top of the stack (when raise) or returns it. */
  private fail(L: number, message: string, raise: boolean): number {
    pushErrorTable(this.vm, L, message);
    if (raise) return this.vm.api._lua_error(L);
    return 1;
  }

  private redisCall(L: number, raise: boolean): number {
    const run = this.running;
    const vm = this.vm;
    const api = vm.api;
    if (run === null) return this.fail(L, 'redis.call/pcall can only be called inside a script invocation', true);
    const argc = api._lua_gettop(L);
    if (argc === 0) return this.fail(L, 'Please specify at least one argument for this redis lib call', raise);
    if (!this.buildArgs(L, argc)) {
      api._lua_settop(L, 0);
      return this.fail(L, 'Lua redis lib command arguments must be strings or integers', raise);
    }
    api._lua_settop(L, 0);
    if (this.inCall) return this.fail(L, 'luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?', false);
    const args = this.args;
    const top = this.host.table.lookupTop(args);
    const cmd = top === undefined ? null : CommandTable.resolve(top, args);
    let refusal: string | null = null;
    if (cmd === null) refusal = 'Unknown Redis command called from script';
    else if ((cmd.arity > 0 && cmd.arity !== args.argc) || args.argc < -cmd.arity) refusal = 'Wrong number of args calling Redis command from script';
    else if ((cmd.flags & CMD_NOSCRIPT) !== 0) refusal = 'This Redis command is not allowed from script';
    else refusal = this.checkCommand(run, cmd);
    if (refusal !== null) {
      pushErrorTable(vm, L, refusal);
      api._lua_pushboolean(L, 1);
      vm.setField(L, -2, 'ignore_error_stats_update');
      return raise ? api._lua_error(L) : 1;
    }
    const w = this.host.writer;
    const callerResp = w.resp;
    const at = w.pendingBytes;
    w.resp = run.resp as 2 | 3;
    this.inCall = true;
    try {
      this.host.call(this.client, cmd!, args);
    } finally {
      this.inCall = false;
      w.resp = callerResp;
    }
    const reply = w.since(at);
    const isError = reply[0] === 45;
    pushReply(vm, L, reply, 0);
    w.truncate(at);
    if (raise && isError) return api._lua_error(L);
    return 1;
  }

  /** Redis's checks before a script's command runs (scriptCall): "-CODE msg" or "msg" (ERR). */
  private checkCommand(run: Run, cmd: Command): string | null {
    const flags = cmd.flags;
    if (run.readOnly && (flags & (CMD_WRITE | CMD_MAY_REPLICATE)) !== 0) return 'Write commands are not allowed from read-only scripts.';
    if ((flags & CMD_WRITE) !== 0 && !run.writeDirty) {
      const refusal = this.host.writeRefusal();
      if (refusal !== null) return `-${refusal}`;
    }
    if (!run.allowOom && !run.writeDirty && run.oomAtStart && (flags & CMD_DENYOOM) !== 0) {
      return "-OOM command not allowed when used memory > 'maxmemory'.";
    }
    if ((flags & CMD_WRITE) !== 0) run.writeDirty = true;
    const cluster = this.host.clusterCheck(cmd, this.args, run.caller);
    if (cluster !== null) {
      if (cluster.error !== null) {
        if (cluster.error.startsWith('CLUSTERDOWN')) return 'Script attempted to execute a command while the cluster is down';
        return 'Script attempted to access a non local key in a cluster node';
      }
      if (cluster.slot >= 0 && !run.allowCrossSlot) {
        if (run.slot === -1) run.slot = cluster.slot;
        else if (run.slot !== cluster.slot) return 'Script attempted to access keys that do not hash to the same slot';
      }
    }
    return null;
  }

  /** Copies redis.call's arguments into this.args; false if one is neither a string nor a number. */
  private buildArgs(L: number, argc: number): boolean {
    const vm = this.vm;
    const api = vm.api;
    const args = this.args;
    let pos = 0;
    for (let i = 1; i <= argc; i++) {
      const t = api._lua_type(L, i);
      if (t === LUA_TNUMBER) {
        // Redis prints numbers with %.17g: integers below 1e15 print as themselves.
        const d = api._lua_tonumberx(L, i, 0);
        this.ensureArgRoom(pos + 32);
        args.start[i - 1] = pos;
        if (Number.isInteger(d) && d > -1e15 && d < 1e15 && !Object.is(d, -0)) pos = writeDecimal(this.argBuf, pos, d);
        else pos += this.argBuf.write(formatDouble(d), pos, 'latin1');
        args.end[i - 1] = pos;
      } else if (t === LUA_TSTRING) {
        const n = vm.stringLength(L, i);
        this.ensureArgRoom(pos + n);
        vm.copyLastString(this.argBuf, pos, n);
        args.start[i - 1] = pos;
        pos += n;
        args.end[i - 1] = pos;
      } else {
        return false;
      }
    }
    args.argc = argc;
    return true;
  }

  private ensureArgRoom(n: number): void {
    if (n <= this.argBuf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(n, this.argBuf.length * 2));
    this.argBuf.copy(bigger);
    this.argBuf = bigger;
    this.args.buf = bigger;
  }

  private sha1hex(L: number): number {
    const vm = this.vm;
    if (vm.api._lua_gettop(L) !== 1) return this.fail(L, 'wrong number of arguments', true);
    const bytes = vm.toBytes(L, 1) ?? Buffer.alloc(0);
    vm.pushLatin1(L, Scripting.sha1(bytes));
    return 1;
  }

  private errorReply(L: number): number {
    const vm = this.vm;
    if (vm.api._lua_gettop(L) !== 1 || vm.api._lua_type(L, -1) !== LUA_TSTRING) return this.fail(L, 'wrong number or type of arguments', false);
    const msg = vm.toLatin1(L, -1)!;
    pushErrorTable(vm, L, msg.startsWith('-') ? msg : `-${msg}`);
    return 1;
  }

  private statusReply(L: number): number {
    const vm = this.vm;
    const api = vm.api;
    if (api._lua_gettop(L) !== 1 || api._lua_type(L, -1) !== LUA_TSTRING) return this.fail(L, 'wrong number or type of arguments', false);
    api._lua_createtable(L, 0, 1);
    api._lua_pushvalue(L, -2);
    vm.setField(L, -2, 'ok');
    return 1;
  }

  private redisLog(L: number): number {
    const vm = this.vm;
    const api = vm.api;
    const argc = api._lua_gettop(L);
    if (argc < 2) return this.fail(L, 'redis.log() requires two arguments or more.', true);
    if (api._lua_type(L, 1) !== LUA_TNUMBER && !(api._lua_type(L, 1) === LUA_TSTRING && Number.isFinite(Number(vm.toLatin1(L, 1)))))
      return this.fail(L, 'First argument must be a number (log level).', true);
    const level = Math.trunc(api._lua_tonumberx(L, 1, 0));
    if (level < 0 || level > 3) return this.fail(L, 'Invalid debug level.', true);
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const s = vm.toLatin1(L, i);
      if (s !== null) parts.push(s);
    }
    this.host.log((['debug', 'verbose', 'notice', 'warning'] as const)[level], parts.join(' '));
    return 0;
  }

  private setResp(L: number): number {
    const run = this.running;
    const api = this.vm.api;
    if (run === null) return this.fail(L, 'redis.setresp can only be called inside a script invocation', true);
    if (api._lua_gettop(L) !== 1) return this.fail(L, 'redis.setresp() requires one argument.', true);
    const resp = Math.trunc(api._lua_tonumberx(L, 1, 0));
    if (resp !== 2 && resp !== 3) return this.fail(L, 'RESP version must be 2 or 3.', true);
    run.resp = resp;
    return 0;
  }

  private setRepl(L: number): number {
    const api = this.vm.api;
    if (this.running === null) return this.fail(L, 'redis.set_repl can only be called inside a script invocation', true);
    if (api._lua_gettop(L) !== 1) return this.fail(L, 'redis.set_repl() requires two arguments.', true);
    const flags = Math.trunc(api._lua_tonumberx(L, 1, 0));
    if ((flags & ~3) !== 0) return this.fail(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', true);
    // corral replicates every write a script makes: replicas must hold what the primary holds.
    return 0;
  }

  private aclCheckCmd(L: number): number {
    const api = this.vm.api;
    if (this.running === null) return this.fail(L, 'redis.acl_check_cmd can only be called inside a script invocation', true);
    const argc = api._lua_gettop(L);
    if (argc === 0) return this.fail(L, 'Please specify at least one argument for this redis lib call', true);
    if (!this.buildArgs(L, argc)) {
      api._lua_settop(L, 0);
      return this.fail(L, 'Lua redis lib command arguments must be strings or integers', true);
    }
    api._lua_settop(L, 0);
    const top = this.host.table.lookupTop(this.args);
    if (top === undefined || CommandTable.resolve(top, this.args) === null) return this.fail(L, 'Invalid command passed to redis.acl_check_cmd()', true);
    // corral has one user, allowed everything.
    api._lua_pushboolean(L, 1);
    return 1;
  }
}

/** Writes an integer's digits at pos (Redis's %.17g of an integer below 1e15); returns the end. */
function writeDecimal(buf: Buffer, pos: number, n: number): number {
  if (n < 0) {
    buf[pos++] = 45;
    n = -n;
  }
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  const end = pos + digits;
  let p = end;
  do {
    buf[--p] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

/** Parses a "#!lua flags=a,b" first line: the flags and the line's length (without its newline). */
export function parseShebang(body: Buffer): { flags: number; length: number } | { error: string } {
  if (body.length < 2 || body[0] !== 35 || body[1] !== 33) return { flags: SCRIPT_EVAL_COMPAT, length: 0 };
  const nl = body.indexOf(10);
  if (nl < 0) return { error: 'ERR Invalid script shebang' };
  const parts = splitArgs(body.toString('latin1', 0, nl));
  if (parts === null || parts.length === 0) return { error: 'ERR Invalid engine in script shebang' };
  if (parts[0] !== '#!lua') return { error: `ERR Unexpected engine in script shebang: ${parts[0]}` };
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: `ERR Unknown lua shebang option: ${part}` };
    const list = part.slice(6);
    for (const f of list === '' ? [] : list.split(',')) {
      const def = SCRIPT_FLAG_NAMES.find(([name]) => name === f);
      if (def === undefined) return { error: `ERR Unexpected flag in script shebang: ${f}` };
      flags |= def[1];
    }
  }
  return { flags, length: nl };
}
