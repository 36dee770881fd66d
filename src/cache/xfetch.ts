// XFetch (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
// Prevention", VLDB 2015): each reader of a fresh value decides on its own, without a lock,
// whether to recompute it early:
//
//     now - delta * beta * ln(random()) >= expiry
//
// delta = how long the last recompute took, beta >= 0 scales eagerness (1 is the paper's
// optimum; > 1 refreshes earlier; 0 never). -ln(U) is exponentially distributed, so the chance
// that a read at `remaining` ms before expiry triggers is exp(-remaining / (delta * beta)):
// negligible while far from expiry, rising sharply within a few deltas of it. Slow-to-load keys
// refresh earlier, and a hot key is almost surely refreshed before it expires, by one reader in
// expectation. corral adds a lease on top (CACHE.LEASE) so that across processes exactly one
// of the readers that trigger actually loads.

/** The paper's test. `random` is in (0, 1]; 0 (ln = -Infinity) always triggers. */
export function xfetch(now: number, expiry: number, delta: number, beta: number, random: () => number): boolean {
  if (beta <= 0 || delta <= 0) return false;
  return now - delta * beta * Math.log(random()) >= expiry;
}

/**
 * The same test from the ms remaining until expiry (what CACHE.GET replies), without reading a
 * clock: now + delta*beta*(-ln U) >= now + remaining. remaining < 0 means no expiry: never.
 */
export function shouldRefreshEarly(remaining: number, delta: number, beta: number, random: () => number): boolean {
  if (remaining < 0 || beta <= 0 || delta <= 0) return false;
  return -delta * beta * Math.log(random()) >= remaining;
}

/** P(trigger) for one read `remaining` ms before expiry. */
export function refreshProbability(remaining: number, delta: number, beta: number): number {
  if (remaining < 0 || beta <= 0 || delta <= 0) return 0;
  return Math.min(1, Math.exp(-remaining / (delta * beta)));
}
