// How the `corral cluster ...` commands reach nodes and `corral up`'s coordinator: one command per
// connection (control/node-link.ts callNode) with the credentials and TLS of this invocation's
// --user / --password / --tls / --cacert / --cert / --key flags (set once, before the command
// runs, by main.ts), so they work against a cluster started with `corral up --requirepass` or
// `--tls`. The password may also come from $CORRAL_PASSWORD (kept out of `ps` and shell history).

import { readFileSync } from 'node:fs';
import { callNode as callNodeWith } from '../control/node-link.js';
import type { ReplyValue } from '../protocol/reply-parser.js';
import type { LinkSecurity } from '../util/link-security.js';

export interface LinkFlags {
  user?: string;
  password?: string;
  tls?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
}

let security: LinkSecurity | undefined;

/** The connections of this invocation authenticate and use TLS as `sec` says. */
export function useLinkSecurity(sec: LinkSecurity | undefined): void {
  security = sec;
}

/** The LinkSecurity the flags (and $CORRAL_PASSWORD) ask for; throws when a file cannot be read. */
export function linkSecurityFromFlags(flags: LinkFlags, env: NodeJS.ProcessEnv = process.env): LinkSecurity {
  const sec: LinkSecurity = {};
  const password = flags.password ?? env.CORRAL_PASSWORD;
  if (password !== undefined && password !== '') {
    sec.password = password;
    if (flags.user !== undefined && flags.user !== '') sec.user = flags.user;
  }
  if (flags.tls === true || flags.cacert !== undefined) {
    const read = (file: string | undefined): Buffer | undefined => (file === undefined ? undefined : readFileSync(file));
    // Nodes are verified against the CA (given or the system's), not by name: they are often
    // addressed by IP, and corral's dev certificates name only localhost and loopback.
    sec.tls = { ca: read(flags.cacert), cert: read(flags.cert), key: read(flags.key), rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  return sec;
}

/** callNode with this invocation's credentials and TLS. */
export function callNode(host: string, port: number, args: Array<string | Buffer | number>, timeoutMs = 2000): Promise<ReplyValue> {
  return callNodeWith(host, port, args, timeoutMs, security);
}
