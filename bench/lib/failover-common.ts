// bench/lib/failover-common.ts — what the parts of the failover benchmark (bench/failover-bench.ts)
// share: the interrupted flag and never(), the Registry of every process started (for cleanup on
// exit / error / Ctrl-C), the ErrorRecord of a failed part, and firstLine.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stopServer, type ServerProc } from './procs.js';
import type { FailoverSystem } from './failover-systems.js';
import type { SyncLoad } from './standalone-replication.js';
import type { Part } from './failover-settings.js';

/** Set by the SIGINT/SIGTERM handler, which stops everything and exits by itself. */
export let interrupted = false;
/** Sets interrupted (an imported binding cannot be assigned by the importer). */
export function markInterrupted(): void {
  interrupted = true;
}
export const never = (): Promise<never> => new Promise<never>(() => {});

// ---------------------------------------------------------------------------------------------
// Every process started, for cleanup on exit / error / Ctrl-C

export class Registry {
  /** Working directories of the standalone redis-servers (see StandaloneSetup.workDir). */
  readonly workDir = mkdtempSync(path.join(tmpdir(), 'corral-failover-bench-'));
  readonly systems = new Set<FailoverSystem>();
  readonly servers = new Set<ServerProc>();
  readonly loads = new Set<SyncLoad>();

  async stopAll(): Promise<void> {
    await Promise.all([
      ...[...this.systems].map((s) => s.stop().catch(() => {})),
      ...[...this.servers].map((p) => stopServer(p).catch(() => {})),
      ...[...this.loads].map((l) => l.close().catch(() => {})),
    ]);
    rmSync(this.workDir, { recursive: true, force: true });
  }

  killNow(): void {
    for (const s of this.systems) {
      try {
        s.killNow();
      } catch {
        /* best effort */
      }
    }
    for (const p of this.servers) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    for (const l of this.loads) l.killNow();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

export interface ErrorRecord {
  part: Part;
  system: string;
  error: string;
}

export function firstLine(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
