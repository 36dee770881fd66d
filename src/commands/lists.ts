// placeholder: lists commands
import type { CommandDef } from './table.js';
export const listCommands: CommandDef[] = [];
