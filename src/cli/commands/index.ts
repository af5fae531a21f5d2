import type { RegisterCommand } from '../main.js';

/**
 * Every command, in the order `--help` lists them. Each module registers one command and is
 * loaded only when that command runs (or the whole program is needed: `--help`, the man page,
 * completions): a command's module imports the stages it needs, and `canary new` should not
 * pay for loading the scan engine, the simulator or the HTTP service (see docs/PERFORMANCE.md,
 * "Start-up of the canary commands").
 */
export const commands: ReadonlyArray<{ name: string; load: () => Promise<RegisterCommand> }> = [
  { name: 'scan', load: async () => (await import('./scan.js')).registerScan },
  { name: 'explain', load: async () => (await import('./explain.js')).registerExplain },
  { name: 'follow', load: async () => (await import('./follow.js')).registerFollow },
  { name: 'canary', load: async () => (await import('./canary.js')).registerCanary },
  { name: 'block', load: async () => (await import('./block.js')).registerBlock },
  { name: 'simulate', load: async () => (await import('./simulate.js')).registerSimulate },
  { name: 'completion', load: async () => (await import('./completion.js')).registerCompletion },
];

/** Commands that read the whole program (every command's options), so they load every command. */
export const needsWholeProgram: ReadonlySet<string> = new Set(['completion']);
