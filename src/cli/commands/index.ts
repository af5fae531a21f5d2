import type { RegisterCommand } from '../main.js';
import { registerExplain } from './explain.js';
import { registerScan } from './scan.js';
import { registerCanary } from './canary.js';
import { registerSimulate } from './simulate.js';
import { registerBlock } from './block.js';
import { registerCompletion } from './completion.js';
import { registerFollow } from './follow.js';

/** Every command, in the order `--help` lists them. Each module registers one command. */
export const commands: RegisterCommand[] = [registerScan, registerExplain, registerFollow, registerCanary, registerBlock, registerSimulate, registerCompletion];
