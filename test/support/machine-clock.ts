// Test and bench support: one clock that processes on one machine share, for histories and
// delays measured across processes (near-cache coherence, invalidation delay).
//
// Not performance.timeOrigin + performance.now(): Node takes timeOrigin from two clock readings
// at process start (the monotonic and the wall clock), and a process descheduled between the two
// on a loaded machine gets an origin off by that long. Seen: one of four workers forked together
// 33 ms ahead of the others, which made its writes look as if read before they were issued.
// CLOCK_MONOTONIC (process.hrtime) is one system-wide clock, read the same way by every process.

/** Milliseconds on the machine's monotonic clock (since boot; comparable between processes). */
export function machineNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
