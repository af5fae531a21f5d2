import { gzipSync } from 'node:zlib';
import { createWriter, simulateFormats, type SimulateFormat } from './formats.js';
import { clientKey } from './networks.js';
import { resetIds } from './people.js';
import { buildWorld, scenarios } from './scenarios.js';
import type { Truth, TruthKind } from './world.js';

export { simulateFormats, type SimulateFormat } from './formats.js';
export { scenarios, type ScenarioMix } from './scenarios.js';
export { clientKey } from './networks.js';
export type { Truth, TruthActor, TruthKind, ReplayPattern } from './world.js';

export const scenarioNames = Object.keys(scenarios);

export interface SimulateOptions {
  /** scenario name (see `scenarios`); default `mixed` */
  scenario?: string;
  /** PRNG seed; the same seed gives the same bytes; default 1 */
  seed?: number;
  /** log format; default `combined` */
  format?: SimulateFormat;
  /** days of traffic; default: the scenario's */
  days?: number;
  /** regular visitors; default: the scenario's */
  users?: number;
  /** approximate number of lines wanted: scales the visitors (ignored when `users` is given) */
  lines?: number;
  /** write a daily-rotated set (access.log, access.log.1, access.log.2.gz, ...) instead of one file */
  rotate?: boolean;
}

export interface SimulatedFile {
  name: string;
  data: Buffer;
}

export interface Simulation {
  truth: Truth;
  /** newest first, as logrotate names them */
  files: SimulatedFile[];
}

/** Generates a scenario's log and its ground truth, entirely in memory. */
export function simulate(options: SimulateOptions = {}): Simulation {
  const scenario = options.scenario ?? 'mixed';
  const seed = options.seed ?? 1;
  const format = options.format ?? 'combined';
  if (!(scenario in scenarios)) throw new Error(`unknown scenario "${scenario}" (known: ${scenarioNames.join(', ')})`);
  if (!simulateFormats.includes(format)) throw new Error(`unknown format "${format}" (known: ${simulateFormats.join(', ')})`);
  let users = options.users;
  if (users === undefined && options.lines !== undefined) {
    // the people make most of the lines: one pilot run, then scale them
    const pilot = generate(scenario, seed, options.days, undefined);
    const mix = scenarios[scenario]!;
    const perUser = pilot.world.hits.length / mix.users;
    users = Math.max(3, Math.round(options.lines / Math.max(1, perUser)));
  }
  const { world } = generate(scenario, seed, options.days, users);
  const config = world.site.config;
  const writer = createWriter(format, { host: config.host, utcOffsetMinutes: config.utcOffsetMinutes });
  const offset = config.utcOffsetMinutes * 60_000;
  const dayOf = (time: number): number => Math.floor((time + offset) / 86_400_000);

  // one chunk per file: the whole log, or one per local day
  const chunks: string[][] = [];
  let current: string[] = [];
  let currentDay = Number.NaN;
  let headerDay = Number.NaN;
  let lines = 0;
  for (const hit of world.hits) {
    const day = dayOf(hit.time);
    if (options.rotate === true && day !== currentDay && current.length > 0) {
      chunks.push(current);
      current = [];
      headerDay = Number.NaN;
    }
    currentDay = day;
    const utcDay = Math.floor(hit.time / 86_400_000);
    if (writer.headerPerDay ? utcDay !== headerDay : current.length === 0) {
      const header = writer.header(hit.time);
      if (header !== '') {
        current.push(header.slice(0, -1));
        lines += header.split('\n').length - 1;
      }
      headerDay = utcDay;
    }
    current.push(writer.line(hit));
    lines++;
  }
  if (current.length > 0) chunks.push(current);

  const files: SimulatedFile[] = [];
  if (options.rotate === true) {
    // logrotate with delaycompress: the newest is access.log, then .1, then .2.gz and older
    for (let index = 0; index < chunks.length; index++) {
      const chunk = chunks[chunks.length - 1 - index]!;
      const text = Buffer.from(chunk.join('\n') + '\n');
      if (index === 0) files.push({ name: 'access.log', data: text });
      else if (index === 1) files.push({ name: 'access.log.1', data: text });
      else files.push({ name: `access.log.${index}.gz`, data: gzipSync(text) });
    }
  } else {
    files.push({ name: 'access.log', data: Buffer.from(chunks.map((chunk) => chunk.join('\n')).join('\n') + '\n') });
  }

  const truth: Truth = {
    seed,
    scenario,
    format,
    lines,
    records: world.hits.length,
    files: files.map((file) => file.name),
    from: new Date(world.from).toISOString(),
    to: new Date(world.to).toISOString(),
    // actors that made no request inside the window are left out
    actors: world.actors.filter((actor) => actor.ips.length > 0).map((actor) => actor.toTruth()),
  };
  return { truth, files };
}

function generate(scenario: string, seed: number, days: number | undefined, users: number | undefined): ReturnType<typeof buildWorld> {
  resetIds();
  return buildWorld(scenario, { seed, days, users });
}

/** Actors per kind, and addresses per kind (IPv6 by /64), for summaries. */
export function summarizeTruth(truth: Truth): { kind: TruthKind; actors: number; clients: number }[] {
  const byKind = new Map<TruthKind, { actors: number; clients: Set<string> }>();
  for (const actor of truth.actors) {
    const entry = byKind.get(actor.kind) ?? { actors: 0, clients: new Set<string>() };
    entry.actors++;
    for (const ip of actor.ips) entry.clients.add(clientKey(ip));
    byKind.set(actor.kind, entry);
  }
  return [...byKind].map(([kind, entry]) => ({ kind, actors: entry.actors, clients: entry.clients.size }));
}
