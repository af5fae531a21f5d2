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
 *
 * Building it from the package cost ~31 ms on first use (median, 2-core container, node 20:
 * ~8 ms requiring the 532 KB package JSON, ~12 ms deriving literals and family names, the
 * rest compiling 1,500 regular expressions). So the package's part is derived at install
 * (compilePackageRules, stored in data/generated/catalogue.bin) and its regular expressions
 * are compiled only when a user agent first makes them candidates: ~1-2 ms.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ActorEntry, Catalogue } from './catalogue.js';
import type { AgentClass } from './types.js';

interface PatternRule {
  /** compiled on first use (null until then) */
  regex: RegExp | null;
  source: string;
  result: AgentClass;
  /** rule order: catalogue first, then ours, then the package's */
  rank: number;
}

/**
 * The package's patterns as the classifier indexes them, derived once (at install):
 * [regex source, kind, family name, index key ('' = always tested)], in package order, with
 * patterns JavaScript cannot compile left out.
 */
export interface CompiledAgentRules {
  /** "crawler-user-agents@1.60.0": rules from another version are not used */
  package: string;
  /** AGENT_RULES_VERSION when derived */
  version: number;
  rules: [string, AgentClass['kind'], string, string][];
}

/**
 * Bump when the derivation changes (requiredLiteral, familyOfPattern, TAG_KINDS, KEY_LENGTH):
 * compiled rules of another version are ignored. test/attribute/compiled-catalogue.test.ts
 * fails when the installed file no longer matches a fresh derivation.
 */
export const AGENT_RULES_VERSION = 1;

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

export interface PackageEntry {
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

/** index key length; codeKey packs exactly three units */
const KEY_LENGTH = 3;

/** Three UTF-16 units below 1024 packed into a small integer (a V8 Smi: no allocation), else -1. */
function codeKey(first: number, second: number, third: number): number {
  return (first | second | third) < 1024 ? (first << 20) | (second << 10) | third : -1;
}

/** The index key of a pattern: the first characters of its required literal, or '' when it has none long enough. */
function keyOf(source: string): string {
  const literal = requiredLiteral(source.replace(/\\\//g, '/'));
  return literal.length < KEY_LENGTH ? '' : literal.slice(0, KEY_LENGTH);
}

/** Derive the package's rules (build time, or at run time when no compiled rules fit). */
export function compilePackageRules(packageEntries: PackageEntry[] = loadPackageEntries(), packageName: string = installedPackageName()): CompiledAgentRules {
  const rules: CompiledAgentRules['rules'] = [];
  for (const entry of packageEntries) {
    let regex: RegExp;
    try {
      regex = new RegExp(entry.pattern);
    } catch {
      continue; // a pattern JavaScript cannot compile: skip it rather than fail the run
    }
    rules.push([regex.source, kindOfTags(entry.tags), familyOfPattern(entry.pattern), keyOf(regex.source)]);
  }
  return { package: packageName, version: AGENT_RULES_VERSION, rules };
}

/** Compiled rules are usable when derived by this version of the code from the installed package. */
export function agentRulesAreCurrent(rules: CompiledAgentRules): boolean {
  return rules.version === AGENT_RULES_VERSION && rules.package === installedPackageName();
}

export class AgentClassifier {
  private readonly rules: PatternRule[] = [];
  /**
   * first three characters of a required literal -> rules that need it. Keys whose three
   * UTF-16 units are all below 1024 (every key the package has) are packed into one small
   * integer, `codeKey`, so walking a user agent allocates no substrings; the rest stay strings.
   */
  private readonly byCode = new Map<number, PatternRule[]>();
  private readonly byKey = new Map<string, PatternRule[]>();
  /** rules with no usable literal: always tested */
  private readonly always: PatternRule[] = [];
  private readonly cache = new Map<string, AgentClass | null>();

  /**
   * `packages`: the package's entries (derived here, ~30 ms) or rules compiled at install
   * (compilePackageRules); both give the same classifier.
   */
  constructor(catalogue: Catalogue, packages: PackageEntry[] | CompiledAgentRules = loadPackageEntries()) {
    let rank = 0;
    for (const entry of catalogue.entries) {
      for (const regex of entry.agentPatterns) this.add(regex, regex.source, agentOf(entry), keyOf(regex.source), rank++);
    }
    for (const rule of OWN_RULES) {
      const regex = new RegExp(rule.pattern);
      this.add(regex, regex.source, { kind: rule.kind, name: rule.name }, keyOf(regex.source), rank++);
    }
    const compiled = Array.isArray(packages) ? compilePackageRules(packages, '') : packages;
    for (const [source, kind, name, key] of compiled.rules) this.add(null, source, { kind, name }, key, rank++);
  }

  private add(regex: RegExp | null, source: string, result: AgentClass, key: string, rank: number): void {
    const rule: PatternRule = { regex, source, result, rank };
    this.rules.push(rule);
    if (key === '') {
      this.always.push(rule);
      return;
    }
    const code = codeKey(key.charCodeAt(0), key.charCodeAt(1), key.charCodeAt(2));
    if (code >= 0) {
      const list = this.byCode.get(code);
      if (list) list.push(rule);
      else this.byCode.set(code, [rule]);
      return;
    }
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
      const regex = rule.regex ?? (rule.regex = new RegExp(rule.source));
      const match = regex.exec(userAgent);
      if (match === null) return;
      if (match.index < bestAt || (match.index === bestAt && rule.rank < (best as PatternRule).rank)) {
        best = rule;
        bestAt = match.index;
      }
    };
    for (const rule of this.always) consider(rule);
    const hasStringKeys = this.byKey.size > 0;
    for (let index = 0; index + KEY_LENGTH <= userAgent.length; index++) {
      const code = codeKey(userAgent.charCodeAt(index), userAgent.charCodeAt(index + 1), userAgent.charCodeAt(index + 2));
      const rules = code >= 0 ? this.byCode.get(code) : hasStringKeys ? this.byKey.get(userAgent.slice(index, index + KEY_LENGTH)) : undefined;
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

let packageName: string | undefined;

/** "crawler-user-agents@<installed version>" (its exports hide package.json: read it beside the main file). */
export function installedPackageName(): string {
  if (packageName === undefined) {
    const main = createRequire(import.meta.url).resolve('crawler-user-agents');
    const { version } = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version: string };
    packageName = `crawler-user-agents@${version}`;
  }
  return packageName;
}
