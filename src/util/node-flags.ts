// The V8 flags and the environment a corral node process runs with: the one list that `corral
// up`, the demo, the benchmarks and the `corral` command's own first line (main.ts's shebang,
// checked by a test) start nodes with.
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

/*
 * Why transparent huge pages (glibc's `glibc.malloc.hugetlb=1` tunable: malloc asks the kernel for
 * huge pages, madvise(MADV_HUGEPAGE), on the heap it grows; the slab's 64 KB pages and the key
 * index come from there). A cache's memory is read at random, a page at a time, across the whole
 * dataset. With 4 KB pages that is a TLB miss on nearly every key (a page-table walk, longer in
 * a VM), and work for the kernel wherever something scans page tables: on this project's
 * benchmark host a memory monitor (DAMON's kdamond) checks and clears pages' accessed bits every
 * ~0.5 s and holds one of the two cores for 10-40 ms each time, so every process waits behind
 * it; with a node's data in 2 MB pages it has a 512th as many pages to visit there
 * (docs/benchmarks.md, "Huge pages"). Redis turns THP off for itself (`disable-thp`) because a
 * write after fork() copies a whole huge page; a corral node never forks. Resident memory grows
 * in 2 MB steps (at 1M keys no difference in RSS per key was read). Where THP is `never` the
 * tunable does nothing; where it is `always` the heap had huge pages already. A user's own
 * GLIBC_TUNABLES setting of hugetlb wins (0 turns this off).
 */

/** The glibc tunable a node process runs with. */
export const NODE_GLIBC_TUNABLE = 'glibc.malloc.hugetlb=1';

/** Whether `env`'s GLIBC_TUNABLES sets glibc's hugetlb tunable (to anything: the user's choice stands). */
export function setsHugetlb(env: NodeJS.ProcessEnv = process.env): boolean {
  return /(^|:)glibc\.malloc\.hugetlb=/.test(env['GLIBC_TUNABLES'] ?? '');
}

/**
 * The environment to start a node process with: `env` with NODE_GLIBC_TUNABLE put first in
 * GLIBC_TUNABLES (glibc applies them in order, so a hugetlb setting already there wins).
 */
export function nodeProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (setsHugetlb(env)) return env;
  const tunables = env['GLIBC_TUNABLES'];
  return { ...env, GLIBC_TUNABLES: tunables === undefined || tunables === '' ? NODE_GLIBC_TUNABLE : `${NODE_GLIBC_TUNABLE}:${tunables}` };
}

/** The `corral` command's first line: env sets the tunable (the user's GLIBC_TUNABLES after it) and starts node with NODE_V8_FLAGS. */
export const CORRAL_SHEBANG = `#!/usr/bin/env -S GLIBC_TUNABLES=${NODE_GLIBC_TUNABLE}:\${GLIBC_TUNABLES} node ${NODE_V8_FLAGS.join(' ')}`;
