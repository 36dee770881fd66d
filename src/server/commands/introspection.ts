// placeholder: introspection commands
import type { CommandDef } from '../../commands/table.js';
export const introspectionCommands: CommandDef[] = [];
