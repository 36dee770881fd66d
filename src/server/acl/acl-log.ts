// The ACL security log (Redis 7.0's ACLLog, shown by ACL LOG): denied commands, keys, channels
// and failed AUTHs, newest first. A denial like one of the ten newest entries (same reason,
// context, object and user, within 60 seconds) bumps that entry's count and moves it to the front
// instead of adding one; the log keeps at most acllog-max-len entries.

import { ACL_DENIED_AUTH, ACL_DENIED_CHANNEL, ACL_DENIED_CMD, ACL_DENIED_KEY } from './check.js';

export type AclLogContext = 'toplevel' | 'multi' | 'lua' | 'module';

export interface AclLogEntry {
  count: number;
  reason: number;
  context: AclLogContext;
  /** The command, key, channel or (for AUTH) the command name. */
  object: string;
  username: string;
  /** Milliseconds since the epoch of the last update. */
  ctime: number;
  /** The client's CLIENT LIST line (without its newline), as of the last update. */
  clientInfo: string;
}

const GROUPING_MAX_DELTA_MS = 60000;

export function reasonName(reason: number): string {
  switch (reason) {
    case ACL_DENIED_CMD:
      return 'command';
    case ACL_DENIED_KEY:
      return 'key';
    case ACL_DENIED_CHANNEL:
      return 'channel';
    case ACL_DENIED_AUTH:
      return 'auth';
    default:
      return 'unknown';
  }
}

export class AclLog {
  /** Newest first. */
  entries: AclLogEntry[] = [];

  constructor(public maxLen = 128) {}

  /** addACLLogEntry. */
  add(entry: Omit<AclLogEntry, 'count'>): void {
    const scan = Math.min(10, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const e = this.entries[i];
      if (
        e.reason === entry.reason &&
        e.context === entry.context &&
        Math.abs(e.ctime - entry.ctime) <= GROUPING_MAX_DELTA_MS &&
        e.object === entry.object &&
        e.username === entry.username
      ) {
        this.entries.splice(i, 1);
        this.entries.unshift(e);
        e.clientInfo = entry.clientInfo;
        e.ctime = entry.ctime;
        e.count++;
        return;
      }
    }
    this.entries.unshift({ count: 1, ...entry });
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}
