// Whether an EVAL script can only run briefly: straight-line code that never loops, never makes
// a function, and cannot reach code that might (read from its compiled bytecode, string.dump's
// format of Lua 5.4, ldump.c). Such a script runs without the count hook (scripting.ts).
//
// Why it matters: Lua 5.4 makes a count hook cost a call per instruction (with a hook set, every
// instruction goes through luaG_traceexec: Lua 5.1, Redis's, only decrements a counter), about a
// tenth of a small script's run. The hook is there for busy scripts (BUSY replies, SCRIPT KILL),
// which a script that cannot loop never becomes from its own instructions: without a jump back,
// each of its instructions runs at most once, and without a function of its own, it cannot
// recurse. What it calls (the sandbox's functions, the libraries, redis.call) returns after work
// bounded by its arguments, as Redis's C libraries do, which no hook interrupts either. The one
// way to new code is the sandbox's load/loadstring: a script that may name one (a constant
// "load", "loadstring" or "_G", or _ENV read as a value) is not bounded.
//
// The rules, on the main function (a bounded script has no other):
// - no OP_CLOSURE (a function defined), no loop instructions, no OP_JMP backwards;
// - no OP_GETUPVAL / OP_SETUPVAL (the main chunk's one upvalue is _ENV: as a value, any global
//   is reachable by a computed name);
// - no string constant naming load, loadstring or _G (globals are read by constant names);
// - fewer instructions than the hook's period (it would not have fired).

/** Lua 5.4's opcodes (lopcodes.h) the rules look at. */
const OP_GETUPVAL = 9;
const OP_SETUPVAL = 10;
const OP_JMP = 56;
const OP_CLOSURE = 79;
/** FORLOOP, FORPREP, TFORPREP, TFORCALL, TFORLOOP. */
const LOOP_OPS = new Set([73, 74, 75, 76, 77]);
/** OP_JMP's signed 25-bit offset is stored in excess-K. */
const OFFSET_SJ = (1 << 24) - 1;

/** Constant type tags (lobject.h). */
const LUA_VNUMINT = 3;
const LUA_VNUMFLT = 19;
const LUA_VSHRSTR = 4;
const LUA_VLNGSTR = 20;

/** The header before the main function: signature, version, format, LUAC_DATA, sizes, LUAC_INT, LUAC_NUM, then the upvalue count. */
const HEADER = 4 + 1 + 1 + 6 + 3 + 8 + 8 + 1;

const UNSAFE_NAMES = new Set(['load', 'loadstring', '_G']);

/**
 * Whether a script's main function (string.dump of it, stripped) is straight-line code that
 * cannot reach other code (see above); false for anything unexpected.
 */
export function scriptIsBounded(dump: Buffer, maxInstructions: number): boolean {
  if (dump.length < HEADER || dump[0] !== 0x1b || dump[4] !== 0x54 || dump[12] !== 4) return false;
  let pos = HEADER;
  // dumpSize's varint: 7 bits a byte, most significant first, the last byte marked with 0x80.
  const size = (): number => {
    let n = 0;
    for (;;) {
      if (pos >= dump.length) throw new RangeError('truncated');
      const b = dump[pos++];
      n = n * 128 + (b & 0x7f);
      if ((b & 0x80) !== 0) return n;
    }
  };
  try {
    // (A size is read before pos moves past it: `pos += size()` would add to the old pos.)
    const source = size();
    pos += Math.max(source - 1, 0); // the source's name (none when stripped)
    size(); // linedefined
    size(); // lastlinedefined
    pos += 3; // numparams, is_vararg, maxstacksize
    const ncode = size();
    if (ncode >= maxInstructions || pos + 4 * ncode > dump.length) return false;
    for (let k = 0; k < ncode; k++, pos += 4) {
      const i = dump.readUInt32LE(pos);
      const op = i & 0x7f;
      if (op === OP_CLOSURE || op === OP_GETUPVAL || op === OP_SETUPVAL) return false;
      if (LOOP_OPS.has(op)) return false;
      if (op === OP_JMP && (i >>> 7) - OFFSET_SJ < 0) return false;
    }
    const nk = size();
    for (let k = 0; k < nk; k++) {
      const tag = dump[pos++];
      if (tag === LUA_VNUMINT || tag === LUA_VNUMFLT) pos += 8;
      else if (tag === LUA_VSHRSTR || tag === LUA_VLNGSTR) {
        const n = size() - 1;
        if (n >= 0 && n <= 10 && UNSAFE_NAMES.has(dump.toString('latin1', pos, pos + n))) return false;
        pos += Math.max(n, 0);
      }
    }
    const upvalues = size();
    pos += 3 * upvalues;
    return size() === 0; // nested functions (none without OP_CLOSURE; checked all the same)
  } catch {
    return false;
  }
}
