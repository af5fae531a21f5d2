/**
 * Declared bots: user agent -> AgentClass, from the catalogue's own patterns (they carry the
 * actor id that crawler verification needs), a short list of our own, and the
 * crawler-user-agents package (~1,500 patterns, MIT).
 *
 * Called once per distinct user agent, but a big log has 10^5 of those, and testing 1,500
 * regular expressions (or one alternation of them) costs ~0.5 ms per agent. So every pattern
 * is reduced to a literal it cannot match without ("Googlebot" for "Googlebot\/"); the
 * literals are indexed by their first three characters, a user agent is walked once to find
 * the few candidate patterns, and only those run as regular expressions. Patterns without
 * such a literal are always run (there are a handful). Everything is built once.
 */
import { createRequire } from 'node:module';
import type { ActorEntry, Catalogue } from './catalogue.js';
import type { AgentClass } from './types.js';

interface PatternRule {
  regex: RegExp;
  result: AgentClass;
  /** rule order: catalogue first, then ours, then the package's */
  rank: number;
}

/** Our additions for what the package lacks or names too loosely. Order matters within the list. */
const OWN_RULES: { pattern: string; kind: AgentClass['kind']; name: string }[] = [
  { pattern: 'HeadlessChrome', kind: 'tool', name: 'HeadlessChrome' },
  { pattern: 'Pingdom', kind: 'monitor', name: 'Pingdom' },
  { pattern: 'StatusCake', kind: 'monitor', name: 'StatusCake' },
  { pattern: 'Better Uptime Bot', kind: 'monitor', name: 'Better Uptime' },
  { pattern: 'Site24x7', kind: 'monitor', name: 'Site24x7' },
  { pattern: 'UptimeRobot', kind: 'monitor', name: 'UptimeRobot' },
  { pattern: 'Nmap Scripting Engine', kind: 'scanner', name: 'Nmap' },
  { pattern: 'masscan', kind: 'scanner', name: 'masscan' },
  { pattern: 'Nuclei', kind: 'scanner', name: 'Nuclei' },
  { pattern: 'sqlmap', kind: 'scanner', name: 'sqlmap' },
  { pattern: 'Nikto', kind: 'scanner', name: 'Nikto' },
  { pattern: 'l9explore|l9tcpid', kind: 'scanner', name: 'LeakIX' },
  { pattern: '^Go-http-client/', kind: 'tool', name: 'Go-http-client' },
  { pattern: '^okhttp/', kind: 'tool', name: 'okhttp' },
  { pattern: '^Wget', kind: 'tool', name: 'Wget' },
  { pattern: '^curl/', kind: 'tool', name: 'curl' },
];

/** Package tags -> our kind; the first listed tag present wins. */
const TAG_KINDS: [string, AgentClass['kind']][] = [
  ['social-preview', 'link-preview'],
  ['scanner', 'scanner'],
  ['monitoring', 'monitor'],
  ['feed-reader', 'feed'],
  ['search-engine', 'crawler'],
  ['ai-crawler', 'crawler'],
  ['seo', 'crawler'],
  ['archiver', 'crawler'],
  ['academic', 'crawler'],
  ['advertising', 'crawler'],
  ['http-library', 'tool'],
  ['browser-automation', 'tool'],
];

interface PackageEntry {
  pattern: string;
  tags?: string[];
}

function kindOfTags(tags: string[] | undefined): AgentClass['kind'] {
  for (const [tag, kind] of TAG_KINDS) if (tags?.includes(tag)) return kind;
  return 'crawler'; // untagged entries of a crawler list
}

/** A readable family name from a package pattern: "pinterest\\.com\\/bot" -> "pinterest.com/bot". */
export function familyOfPattern(pattern: string): string {
  const name = pattern
    .replace(/\\(.)/g, '$1')
    .replace(/^\^|\$$/g, '')
    .replace(/[/()\s]+$/g, '');
  return name === '' ? pattern : name;
}

/**
 * A literal every match of `pattern` must contain (the longest one found), or '' when the
 * pattern has none we can prove. Conservative: anything not understood breaks the literal.
 */
export function requiredLiteral(pattern: string): string {
  if (hasTopLevelAlternation(pattern)) return '';
  let best = '';
  let run = '';
  const finish = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    const next = pattern[index + 1];
    if (char === '\\') {
      const escaped = pattern[index + 1];
      index++;
      if (escaped === undefined || /[A-Za-z0-9]/.test(escaped)) {
        finish(); // \d, \w, \b, \u.... : not a literal
        continue;
      }
      if (isQuantifier(pattern[index + 1])) {
        finish();
        continue;
      }
      run += escaped;
      continue;
    }
    if (char === '(' || char === '[') {
      finish();
      index = skipGroup(pattern, index);
      continue;
    }
    if ('.^$*+?{}|)]'.includes(char)) {
      finish();
      continue;
    }
    if (isQuantifier(next)) {
      // this character is optional or repeated: the run ends before it
      finish();
      continue;
    }
    run += char;
  }
  finish();
  return best;
}

function isQuantifier(char: string | undefined): boolean {
  return char === '?' || char === '*' || char === '{' || char === '+';
}

function skipGroup(pattern: string, start: number): number {
  const close = pattern[start] === '[' ? ']' : ')';
  let depth = 0;
  for (let index = start; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') {
      index++;
      continue;
    }
    if (close === ']') {
      if (char === ']' && index > start) return skipQuantifier(pattern, index);
      continue;
    }
    if (char === '[') {
      index = skipGroup(pattern, index);
      continue;
    }
    if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return skipQuantifier(pattern, index);
  }
  return pattern.length;
}

function skipQuantifier(pattern: string, index: number): number {
  return isQuantifier(pattern[index + 1]) ? index + 1 : index;
}

function hasTopLevelAlternation(pattern: string): boolean {
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') index++;
    else if (char === '(' || char === '[') index = skipGroup(pattern, index);
    else if (char === '|') return true;
  }
  return false;
}

const KEY_LENGTH = 3;

export class AgentClassifier {
  private readonly rules: PatternRule[] = [];
  /** first three characters of a required literal -> rules that need it */
  private readonly byKey = new Map<string, PatternRule[]>();
  /** rules with no usable literal: always tested */
  private readonly always: PatternRule[] = [];
  private readonly cache = new Map<string, AgentClass | null>();

  constructor(catalogue: Catalogue, packageEntries: PackageEntry[] = loadPackageEntries()) {
    let rank = 0;
    for (const entry of catalogue.entries) {
      for (const regex of entry.agentPatterns) this.add(regex, agentOf(entry), rank++);
    }
    for (const rule of OWN_RULES) this.add(new RegExp(rule.pattern), { kind: rule.kind, name: rule.name }, rank++);
    for (const entry of packageEntries) {
      let regex: RegExp;
      try {
        regex = new RegExp(entry.pattern);
      } catch {
        continue; // a pattern JavaScript cannot compile: skip it rather than fail the run
      }
      this.add(regex, { kind: kindOfTags(entry.tags), name: familyOfPattern(entry.pattern) }, rank++);
    }
  }

  private add(regex: RegExp, result: AgentClass, rank: number): void {
    const rule = { regex, result, rank };
    this.rules.push(rule);
    const literal = requiredLiteral(regex.source.replace(/\\\//g, '/'));
    if (literal.length < KEY_LENGTH) {
      this.always.push(rule);
      return;
    }
    const key = literal.slice(0, KEY_LENGTH);
    const list = this.byKey.get(key);
    if (list) list.push(rule);
    else this.byKey.set(key, [rule]);
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  get unindexedRuleCount(): number {
    return this.always.length;
  }

  /** The declared bot this user agent names, or null for browsers and the unknown. */
  classify(userAgent: string): AgentClass | null {
    const cached = this.cache.get(userAgent);
    if (cached !== undefined) return cached;
    const result = this.classifyUncached(userAgent);
    // the detector interns user agents, so this stays small; the cap guards odd callers
    if (this.cache.size >= 100_000) this.cache.clear();
    this.cache.set(userAgent, result);
    return result;
  }

  private classifyUncached(userAgent: string): AgentClass | null {
    if (userAgent === '' || userAgent === '-') return null;
    // The product a user agent names comes first; later tokens are often comparisons
    // ("Feedly/1.0 (...; like FeedFetcher-Google)"). So the earliest match wins, then rank.
    let best: PatternRule | null = null;
    let bestAt = Number.POSITIVE_INFINITY;
    const consider = (rule: PatternRule): void => {
      if (best !== null && rule === best) return;
      const match = rule.regex.exec(userAgent);
      if (match === null) return;
      if (match.index < bestAt || (match.index === bestAt && rule.rank < (best as PatternRule).rank)) {
        best = rule;
        bestAt = match.index;
      }
    };
    for (const rule of this.always) consider(rule);
    for (let index = 0; index + KEY_LENGTH <= userAgent.length; index++) {
      const rules = this.byKey.get(userAgent.slice(index, index + KEY_LENGTH));
      if (rules) for (const rule of rules) consider(rule);
    }
    return best === null ? null : { ...(best as PatternRule).result };
  }
}

function agentOf(entry: ActorEntry): AgentClass {
  const kind = entry.agentKind ?? (entry.kind === 'link-preview' || entry.kind === 'crawler' || entry.kind === 'scanner' ? entry.kind : 'crawler');
  return { kind, name: entry.family ?? entry.name, actor: entry.id };
}

function loadPackageEntries(): PackageEntry[] {
  const require = createRequire(import.meta.url);
  return require('crawler-user-agents') as PackageEntry[];
}
