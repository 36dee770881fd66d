// Typed access, for server-level command handlers, to the node and client behind a context.

import type { CommandContext } from '../../commands/context.js';
import type { Client } from '../client.js';
import type { CorralNode } from '../node.js';

export function nodeOf(c: CommandContext): CorralNode {
  return c.owner as CorralNode;
}

export function clientOf(c: CommandContext): Client {
  return c.client as Client;
}
