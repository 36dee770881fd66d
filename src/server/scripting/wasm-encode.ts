// Encoding small WebAssembly modules by hand: the few pieces of the binary format that the
// scripting engine's own wasm functions need (lua-alloc.ts, lua-tonumber.ts). Those run next to
// the Lua VM's wasm and call its exports directly: a call between two wasm instances is a plain
// call, where a call out to JS and back costs a transition each way.

export const I32 = 0x7f;
export const F64 = 0x7c;
/** A block without a result. */
export const VOID = 0x40;

export const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  i32Load: 0x28,
  f64Load: 0x2b,
  i32Load8U: 0x2d,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  f64Ne: 0x62,
  f64Gt: 0x64,
  i32Add: 0x6a,
  i32Or: 0x72,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64FromU32: 0xb8,
};

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n !== 0 ? byte | 0x80 : byte);
  } while (n !== 0);
  return out;
}

/** i32.const n (signed LEB128). */
export function i32(n: number): number[] {
  const out: number[] = [OP.i32Const];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const text = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, contents: number[]): number[] => [id, ...uleb(contents.length), ...contents];

export type Import =
  | { name: string; func: [params: number[], results: number[]] }
  | { name: string; memory: true }
  | { name: string; global: number };

/**
 * A module of one function, exported as `exportName`: its imports (all from module "m", in
 * order: imported functions take the first function indices), its signature, its locals and its
 * body (ending with OP.end).
 */
export function encodeModule(imports: Import[], fn: [params: number[], results: number[]], locals: number[], body: number[], exportName: string): Uint8Array {
  const types: number[][] = [];
  const typeOf = ([params, results]: [number[], number[]]): number => {
    const t = [0x60, ...uleb(params.length), ...params, ...uleb(results.length), ...results];
    const key = t.join();
    const at = types.findIndex((u) => u.join() === key);
    if (at >= 0) return at;
    types.push(t);
    return types.length - 1;
  };
  const importEntries = imports.map((im) => {
    const head = [...text('m'), ...text(im.name)];
    if ('func' in im) return [...head, 0x00, ...uleb(typeOf(im.func))];
    if ('memory' in im) return [...head, 0x02, 0x00, 1];
    return [...head, 0x03, im.global, 0];
  });
  const funcIndex = imports.filter((im) => 'func' in im).length;
  const fnType = typeOf(fn);
  const localDecls = vec(locals.map((t) => [1, t]));
  const code = [...localDecls, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(importEntries)),
    ...section(3, vec([uleb(fnType)])),
    ...section(7, vec([[...text(exportName), 0x00, ...uleb(funcIndex)]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

/** The WebAssembly API (the project's TypeScript libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Global: new (desc: { value: 'i32'; mutable: boolean }, value: number) => object;
  Memory: new (desc: { initial: number }) => object;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function isWasmMemory(x: unknown): boolean {
  return x instanceof WA.Memory;
}

/** Instantiates a module built by encodeModule; `values` gives each import by name (globals as numbers). */
export function instantiate(bytes: Uint8Array, imports: Import[], values: Record<string, unknown>, exportName: string): unknown {
  const m: Record<string, unknown> = {};
  for (const im of imports) m[im.name] = 'global' in im ? new WA.Global({ value: 'i32', mutable: false }, values[im.name] as number) : values[im.name];
  return new WA.Instance(new WA.Module(bytes), { m }).exports[exportName];
}
