// Write-lease arithmetic: the one place where the controller's and the nodes' timing rules are
// written down. Everything else in the controller's decisions (decisions.ts) asks this module
// "until when may node N write?" and "since when is N's lease certainly over?".
//
// The protocol. A primary may accept writes only under a write lease granted by the elected
// controller. Every renewEveryMs the node sends a renewal (over RESP) and remembers the local
// monotonic time it sent it, sentAt. The controller answers with grantMs (possibly 0). The node
// then accepts writes while its clock reads less than
//
//     nodeWriteDeadline = sentAt + grantMs * (1 - ρ) / (1 + ρ) - marginMs
//
// (keeping the latest deadline of all the answers it got). The controller, for its part, reads
// its clock AFTER it has read the renewal from the socket, computes the grant, records that time
// as lastGrantAt and considers the lease certainly over once its clock reads
//
//     grantExpiredAt = lastGrantAt + grantMs * (1 + ρ) + marginMs
//
// (keeping the latest expiry of all the grants it sent: see recordGrant below).
//
// The clock model. There is a real time r that no process can read. Every process p has a
// monotonic clock C_p (performance.now()) whose RATE stays within ρ of real time: for r1 < r2,
//     (1 - ρ)(r2 - r1) <= C_p(r2) - C_p(r1) <= (1 + ρ)(r2 - r1).
// Nothing is assumed about offsets: no two clocks are compared, only intervals on one clock.
// (ρ = 0.001 is 1000 ppm: crystals drift < 100 ppm, and NTP slews CLOCK_MONOTONIC by at most
// 500 ppm. A clock that stops while the machine is suspended, or a VM that is frozen, breaks the
// model; see "what the margin is for" below.)
//
// The claim: a node stops accepting writes strictly before the controller considers its lease
// expired, in real time. Let the node send its renewal at real time r_s (C_N(r_s) = sentAt) and
// the controller record the grant g at real time r_g (C_K(r_g) = lastGrantAt). Causality gives
// r_s <= r_g: the controller reads its clock after the renewal has reached it.
//   - The node accepts a write at real time r only if C_N(r) < nodeWriteDeadline, so
//         (1 - ρ)(r - r_s) <= C_N(r) - sentAt < g(1 - ρ)/(1 + ρ) - m,
//     that is  r < r_s + g/(1 + ρ) - m/(1 - ρ).                                    (1)
//   - The controller acts on the expiry at real time r' only if C_K(r') >= grantExpiredAt, so
//         (1 + ρ)(r' - r_g) >= C_K(r') - lastGrantAt >= g(1 + ρ) + m,
//     that is  r' >= r_g + g + m/(1 + ρ).                                          (2)
//   - From r_s <= r_g and g/(1 + ρ) <= g:
//         r < r_s + g/(1 + ρ) - m/(1 - ρ) <= r_g + g - m/(1 - ρ) < r_g + g + m/(1 + ρ) <= r'.
// So every write the node accepts under this grant happens before the controller can act on its
// expiry, with at least (r_g - r_s) + gρ/(1 + ρ) + 2m/(1 - ρ²) of real time to spare (about
// 101 ms at the defaults: g = 1000, ρ = 0.001, m = 50). With several grants, the node keeps the
// latest deadline and the controller the latest expiry; each pair satisfies (1)-(2), so the
// maxima do too.
//
// The two drift corrections are deliberately redundant: the node's factor (1-ρ)/(1+ρ) alone or
// the controller's (1+ρ) alone would suffice, so a node configured with a different ρ than the
// controller does not break the claim. What the margin is for: the steps the model leaves out,
// i.e. the time between a node checking its deadline and the write taking effect (the check and
// the write must happen in one synchronous section), scheduling jitter, and a process paused by
// the garbage collector or the OS. Pauses longer than the margin are not covered; neither is a
// machine whose monotonic clock stops while suspended.
//
// Races the two sides must respect (comments at the call sites repeat them):
//   - The node must pair a grant with the sentAt of the renewal it answers (the request it sent,
//     matched by RESP's in-order replies), never with the time the reply arrived or with a later
//     renewal: otherwise r_s <= r_g no longer holds. A late reply to an old renewal is harmless:
//     its deadline is computed from the old sentAt.
//   - The controller must read `now` after reading the renewal from the socket (a clock value
//     cached at the start of the event-loop turn may predate the renewal's sending).
//   - The controller keeps the LATEST expiry, not the last grant: a grant of 1000 ms at t=0
//     followed by a grant of 0 (or of a capped 300 ms) at t=100 leaves the first one running at
//     the node until ~t=1000; overwriting the record would let the controller think it ended at
//     t=150 (recordGrant).
//
// A newly elected controller does not know what its predecessor granted. Its predecessor stopped
// granting before its coordinator lease ended (authorityUntil, derived by the loop), and the
// coordinator elects a successor only after that lease has ended, so every grant the predecessor
// sent left it (real time) before the successor's election r_e, and lasted at most leaseMs. By
// (1) the node's writes under it end before r_e + leaseMs/(1 + ρ). The successor reads electedAt
// on its own clock at or after r_e; waiting until electedAt + leaseMs(1 + ρ) + m puts it, by the
// argument of (2), at real time >= r_e + leaseMs + m/(1 + ρ): later. So until electionWaitUntil
// no primary's lease counts as expired, unless its process is proven gone (a dead process
// accepts no writes, whatever lease it holds). All controllers must use the same leaseMs (or the
// successor a larger one).
//
// Grants are also capped by the controller's own authority: a grant sent at controller time t is
// at most authorityUntil - t, so by (1) and the controller clock's rate every lease it grants
// ends, in real time, before its authority does. The election wait above is then a second line of
// defence, for a loop whose authorityUntil is optimistic.

/** Timing parameters shared by the controller and (leaseMs, ρ, marginMs) by the nodes. */
export interface LeaseParams {
  /** Longest write lease granted, in ms. */
  leaseMs: number;
  /** How often a node renews, in ms (the nodes' setting; used for validation). */
  renewEveryMs: number;
  /** ρ: the fraction by which any clock's rate may differ from real time. */
  driftRate: number;
  /** Safety margin in ms on both sides of the lease (see the header). */
  marginMs: number;
  /** A node that has not renewed for longer than this is silent: probe it, do not trust it. */
  suspectAfterMs: number;
  /** Least time between two probes of one node. */
  probeEveryMs: number;
  /** A manual failover that has not published within this long is aborted. */
  manualTimeoutMs: number;
}

export const DEFAULT_LEASE_PARAMS: Readonly<LeaseParams> = Object.freeze({
  leaseMs: 1000,
  renewEveryMs: 100,
  driftRate: 0.001,
  marginMs: 50,
  suspectAfterMs: 300,
  probeEveryMs: 100,
  manualTimeoutMs: 5000,
});

/** The controller's record of the grant with the latest expiry it has sent a node. */
export interface GrantRecord {
  /** Controller time when that grant was computed (after the renewal was read); -Infinity: never. */
  lastGrantAt: number;
  /** Its length in ms. */
  grantedMs: number;
}

export const NO_GRANT: Readonly<GrantRecord> = Object.freeze({ lastGrantAt: -Infinity, grantedMs: 0 });

/**
 * The node's side: local time until which a node that SENT its renewal at `sentAt` (its own
 * monotonic clock) and was granted `grantMs` may accept writes (strictly before it).
 */
export function nodeWriteDeadline(sentAt: number, grantMs: number, params: Pick<LeaseParams, 'driftRate' | 'marginMs'>): number {
  const rho = params.driftRate;
  return sentAt + (grantMs * (1 - rho)) / (1 + rho) - params.marginMs;
}

/** Controller time from which the grant recorded in `grant` has certainly expired at the node. */
export function grantExpiredAt(grant: GrantRecord, params: Pick<LeaseParams, 'driftRate' | 'marginMs'>): number {
  return grant.lastGrantAt + grant.grantedMs * (1 + params.driftRate) + params.marginMs;
}

/** Controller time before which a controller elected at `electedAt` treats every lease as live. */
export function electionWaitUntil(electedAt: number, params: Pick<LeaseParams, 'leaseMs' | 'driftRate' | 'marginMs'>): number {
  return electedAt + params.leaseMs * (1 + params.driftRate) + params.marginMs;
}

/**
 * Controller time from which no write lease of the node can be live: neither one this
 * controller recorded nor one its predecessor may have sent.
 */
export function leaseSafeAt(grant: GrantRecord, electedAt: number, params: Pick<LeaseParams, 'leaseMs' | 'driftRate' | 'marginMs'>): number {
  return Math.max(grantExpiredAt(grant, params), electionWaitUntil(electedAt, params));
}

/**
 * The record after sending `grantMs` at controller time `at`: the grant with the later expiry
 * (a zero or shorter grant never shortens what the node already holds).
 */
export function recordGrant(prev: GrantRecord, at: number, grantMs: number, params: Pick<LeaseParams, 'driftRate' | 'marginMs'>): GrantRecord {
  if (!(grantMs > 0)) return prev;
  const next = { lastGrantAt: at, grantedMs: grantMs };
  return grantExpiredAt(next, params) >= grantExpiredAt(prev, params) ? next : prev;
}

/**
 * Throws a RangeError for parameters that break the argument above or leave a healthy primary
 * without a lease between two renewals.
 */
export function validateLeaseParams(p: LeaseParams): void {
  const positive = (name: keyof LeaseParams): void => {
    if (!(Number.isFinite(p[name]) && p[name] > 0)) throw new RangeError(`${name} must be a positive number`);
  };
  for (const name of ['leaseMs', 'renewEveryMs', 'suspectAfterMs', 'probeEveryMs', 'manualTimeoutMs'] as const) positive(name);
  if (!(p.driftRate >= 0 && p.driftRate < 1)) throw new RangeError('driftRate must be in [0, 1)');
  if (!(Number.isFinite(p.marginMs) && p.marginMs >= 0)) throw new RangeError('marginMs must be >= 0');
  // A renewal answered at once must extend the node's deadline past its next renewal.
  if (nodeWriteDeadline(0, p.leaseMs, p) <= p.renewEveryMs) throw new RangeError('a full lease must outlast one renewal interval');
  // A primary that renews on time must never look silent.
  if (p.suspectAfterMs <= p.renewEveryMs) throw new RangeError('suspectAfterMs must exceed renewEveryMs');
}
