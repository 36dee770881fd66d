// placeholder: keys commands
import type { CommandDef } from './table.js';
export const keyCommands: CommandDef[] = [];
