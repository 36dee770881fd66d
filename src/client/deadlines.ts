// Command deadlines with one timer. stamp() gives a command its deadline (commandTimeout from now)
// and only compares it with the time the timer is armed for, so the hot path creates no timer;
// when the timer fires, the owner's sweep fails whatever is past its deadline and returns the
// earliest deadline still pending, for which the timer is armed again.

import type { Command } from './command.js';
import type { Resolved } from './options.js';

export class Deadlines {
  private handle: unknown = null;
  private at = Infinity;

  constructor(
    private readonly o: Resolved,
    /** Fails the commands past `now`; returns the earliest deadline left (Infinity: none). */
    private readonly sweep: (now: number) => number,
  ) {}

  stamp(cmd: Command): void {
    const t = this.o.commandTimeout;
    const deadline = t > 0 ? this.o.clock.now() + t : Infinity;
    cmd.deadline = deadline;
    if (deadline < this.at) this.arm(deadline);
  }

  private arm(at: number): void {
    if (this.handle !== null) this.o.timers.clearTimeout(this.handle);
    this.at = at;
    this.handle = this.o.timers.setTimeout(this.fire, Math.max(0, at - this.o.clock.now()) + 1);
    // The sweep alone must not keep the process alive (sockets and backoff timers do).
    (this.handle as { unref?: () => void } | null)?.unref?.();
  }

  private readonly fire = (): void => {
    this.handle = null;
    this.at = Infinity;
    const min = this.sweep(this.o.clock.now());
    if (min < Infinity) this.arm(min);
  };

  stop(): void {
    if (this.handle !== null) this.o.timers.clearTimeout(this.handle);
    this.handle = null;
    this.at = -Infinity; // never armed again
  }
}
