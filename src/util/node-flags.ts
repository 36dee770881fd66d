// The V8 flags a corral node process runs with: the one list that `corral up`, the demo, the
// benchmarks and the `corral` command's own first line (main.ts's shebang, checked by a test)
// start nodes with.
//
// Why `--initial-old-space-size`. A node keeps its data off the V8 heap, so its heap stays small
// (~20 MB) while its young generation grows to its maximum under load. V8 starts incremental
// marking as soon as the old generation's room left before its limit is no more than the young
// generation's capacity; with a limit computed from a 20 MB heap (~44 MB) that holds almost
// always, and a node under load ran a mark-compact every ~0.5 s, each pausing it 10-70 ms
// (`--trace-gc` during an online reshard: 196 mark-compacts on 4 nodes in 40 s, 2.7 s of pauses).
// With an initial old space configured, V8 takes it as the minimum limit ("allow V8 to skip full
// GCs below that threshold"): the same move ran 9. The cost is memory: up to this many MB of
// garbage may wait in the old generation before a full collection reclaims it.
//
// Why `--single-threaded-gc`. A node runs its helper threads at nice 19 (src/util/helper-threads.ts),
// so that V8's compiler yields the CPU to the request path on a busy machine; a parallel scavenge
// or compaction would make the JavaScript thread wait for helpers the scheduler keeps off the CPU.
// With one-threaded collections it waits for none: a node's young generation is small and mostly
// garbage, so its scavenges stay short without helpers (measured: docs/benchmarks.md, "Helper
// threads at nice 19").

/** The old generation's minimum limit before a full collection, in MB. */
export const INITIAL_OLD_SPACE_MB = 128;

/** V8 flags for a node process (put before the script). */
export const NODE_V8_FLAGS: readonly string[] = [`--initial-old-space-size=${INITIAL_OLD_SPACE_MB}`, '--single-threaded-gc'];

/** Whether this process was started with NODE_V8_FLAGS. */
export function hasNodeV8Flags(execArgv: readonly string[] = process.execArgv): boolean {
  return NODE_V8_FLAGS.every((f) => execArgv.includes(f));
}
