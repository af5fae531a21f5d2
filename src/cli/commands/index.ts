import type { RegisterCommand } from '../main.js';

/** Every command, in the order `--help` lists them. Each module registers one command. */
export const commands: RegisterCommand[] = [];
