// placeholder: sets commands
import type { CommandDef } from './table.js';
export const setCommands: CommandDef[] = [];
