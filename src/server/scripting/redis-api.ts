// The redis.* functions scripts call: redis.call / pcall (a command run through the node, its
// reply parsed back into Lua, with Redis's checks before it runs), error_reply, status_reply,
// sha1hex, log, setresp, set_repl, acl_check_cmd, and register_function while a library loads.

import type { CommandArgs } from '../../protocol/request-parser.js';
import { formatDouble } from '../../protocol/reply-writer.js';
import { writeLatin1 } from '../../util/bytes.js';
import { CMD_DENYOOM, CMD_MAY_REPLICATE, CMD_NOSCRIPT, CMD_STALE, CMD_WRITE, CommandTable, type Command } from '../../commands/table.js';
import type { Client } from '../client.js';
import { ReplyTooDeep, pushErrorTable, pushReply } from './lua-reply.js';
import { LUA_TNUMBER, LUA_TSTRING, type LuaVm } from './lua-vm.js';
import { sha1Hex, type Run, type ScriptHost } from './script-run.js';
import { scriptDeniedMessage } from '../acl/check.js';

export class RedisApi {
  /** redis.call's arguments, built in place. */
  private argBuf = Buffer.allocUnsafe(4096);
  private readonly args: CommandArgs = { buf: this.argBuf, argc: 0, start: [], end: [] };
  private inCall = false;

  constructor(
    readonly vm: LuaVm,
    private readonly host: ScriptHost,
    private readonly client: Client,
    private readonly runOf: () => Run | null,
  ) {}

  /** Raises an error table from inside a C function. */
  raise(L: number, message: string): number {
    return this.fail(L, message, true);
  }

  /** What a FUNCTION library sees of `redis` while it loads. */
  pushLibraryApi(L: number): void {
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

  pushRedisApi(L: number): void {
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

  /** Called by redis.register_function while a library loads (server/scripting/functions.ts). */
  registrar: ((L: number) => number) | null = null;

  private registerFunction(L: number): number {
    if (this.registrar === null) return this.fail(L, 'redis.register_function can only be called on FUNCTION LOAD command', true);
    return this.registrar(L);
  }


  /** Raises the error table on top of the stack (when raise) or returns it. */
  private fail(L: number, message: string, raise: boolean): number {
    pushErrorTable(this.vm, L, message);
    if (raise) return this.vm.api._lua_error(L);
    return 1;
  }

  private redisCall(L: number, raise: boolean): number {
    const run = this.runOf();
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
    else if ((cmd.flags & CMD_NOSCRIPT) !== 0 && !this.host.denyScriptsDisabled()) refusal = 'This Redis command is not allowed from script';
    else refusal = this.checkCommand(run, cmd);
    if (refusal !== null) {
      this.host.rejected(cmd, refusal);
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
    // The reply is parsed where it was written (no view made of it).
    const slab = w.slabView;
    const from = w.slabIndex(at);
    const isError = slab[from] === 45;
    // Dropped from the caller's replies now (the bytes stay readable until the next write): a
    // Lua error while they are parsed (out of memory) must not leave them in the output.
    w.truncate(at);
    let tooDeep = false;
    try {
      pushReply(vm, L, slab, from);
    } catch (err) {
      // Only our own: a Lua error (out of memory) unwinds through here and must go on.
      if (!(err instanceof ReplyTooDeep)) throw err;
      tooDeep = true;
    }
    if (tooDeep) {
      api._lua_settop(L, 0);
      return this.fail(L, 'reached lua stack limit', true);
    }
    if (raise && isError) return api._lua_error(L);
    return 1;
  }

  /** Redis's checks before a script's command runs (scriptCall): "-CODE msg" or "msg" (ERR). */
  private checkCommand(run: Run, cmd: Command): string | null {
    const flags = cmd.flags;
    if ((flags & CMD_STALE) === 0 && this.host.runningStale()) return 'Can not execute the command on a stale replica';
    const denial = this.host.aclCheck(run.caller, cmd, this.args, true);
    if (denial !== 0) return `The user executing the script ${scriptDeniedMessage(denial)}`;
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
        else pos += writeLatin1(this.argBuf, formatDouble(d), pos);
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
    vm.pushLatin1(L, sha1Hex(bytes));
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
    const run = this.runOf();
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
    if (this.runOf() === null) return this.fail(L, 'redis.set_repl can only be called inside a script invocation', true);
    if (api._lua_gettop(L) !== 1) return this.fail(L, 'redis.set_repl() requires two arguments.', true);
    const flags = Math.trunc(api._lua_tonumberx(L, 1, 0));
    if ((flags & ~3) !== 0) return this.fail(L, 'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', true);
    // corral replicates every write a script makes: replicas must hold what the primary holds.
    return 0;
  }

  private aclCheckCmd(L: number): number {
    const api = this.vm.api;
    if (this.runOf() === null) return this.fail(L, 'redis.acl_check_cmd can only be called inside a script invocation', true);
    const argc = api._lua_gettop(L);
    if (argc === 0) return this.fail(L, 'Please specify at least one argument for this redis lib call', true);
    if (!this.buildArgs(L, argc)) {
      api._lua_settop(L, 0);
      return this.fail(L, 'Lua redis lib command arguments must be strings or integers', true);
    }
    api._lua_settop(L, 0);
    const top = this.host.table.lookupTop(this.args);
    const cmd = top === undefined ? null : CommandTable.resolve(top, this.args);
    if (cmd === null) return this.fail(L, 'Invalid command passed to redis.acl_check_cmd()', true);
    api._lua_pushboolean(L, this.host.aclCheck(this.runOf()!.caller, cmd, this.args, false) === 0 ? 1 : 0);
    return 1;
  }
}

/**
 * Writes an integer's digits at pos (Redis's %.17g of an integer below 1e15); returns the end.
 * Digits come from int32 arithmetic (a double's % and / are far slower): the part from 1e8 up,
 * then the lower eight digits.
 */
function writeDecimal(buf: Buffer, pos: number, n: number): number {
  if (n < 0) {
    buf[pos++] = 45;
    n = -n;
  }
  let low = n;
  if (n >= 1e8) {
    const high = Math.floor(n / 1e8);
    low = n - high * 1e8;
    pos = writeInt32Digits(buf, pos, high);
    let l = low | 0;
    for (let p = pos + 8; p > pos; l = (l / 10) | 0) buf[--p] = 48 + (l % 10);
    return pos + 8;
  }
  return writeInt32Digits(buf, pos, low | 0);
}

function writeInt32Digits(buf: Buffer, pos: number, n: number): number {
  let digits = 1;
  for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
  const end = pos + digits;
  let p = end;
  do {
    buf[--p] = 48 + (n % 10);
    n = (n / 10) | 0;
  } while (n > 0);
  return end;
}
