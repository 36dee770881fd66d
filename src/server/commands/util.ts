// Typed access, for server-level command handlers, to the server and client behind a context:
// the node stores itself as the context's owner (opaque to src/commands, which knows no server)
// and is seen here only through ServerApi (server/server-api.ts), never as the node class.

import type { CommandContext } from '../../commands/context.js';
import type { Client } from '../client.js';
import type { ServerApi } from '../server-api.js';

export function serverOf(c: CommandContext): ServerApi {
  return c.owner as ServerApi;
}

export function clientOf(c: CommandContext): Client {
  return c.client as Client;
}
