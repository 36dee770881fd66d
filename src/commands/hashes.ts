// placeholder: hashes commands
import type { CommandDef } from './table.js';
export const hashCommands: CommandDef[] = [];
