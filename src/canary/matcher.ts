import { canaryPathPrefix, tokenAlphabetTable, tokenLength } from './token.js';

/*
 * Recognising canary URLs. A canary URL's path ends in `/notes/<token>` (a trailing slash is
 * tolerated), optionally followed by a query or fragment, which replayers sometimes add.
 */

const slash = 0x2f; // '/'
const dash = 0x2d; // '-'
const question = 0x3f; // '?'
const hash = 0x23; // '#'
const prefixBytes = Buffer.from(canaryPathPrefix, 'latin1');
const prefixLength = prefixBytes.length;

export interface CanaryMatcher {
  /**
   * Index (into the tokens given to createCanaryMatcher) of the canary whose URL occupies
   * url[start, end), or -1. Allocates nothing: the scan calls it once per log line.
   */
  match(url: Buffer, start: number, end: number): number;
}

/** Ends a token at `at`: end of URL, query, fragment, or one slash then one of those. */
function endsTokenAt(codeAt: (index: number) => number, at: number, end: number): boolean {
  if (at === end) return true;
  let code = codeAt(at);
  if (code === question || code === hash) return true;
  if (code !== slash) return false;
  if (at + 1 === end) return true;
  code = codeAt(at + 1);
  return code === question || code === hash;
}

function fnv1a(bytes: Buffer, start: number): number {
  let value = 0x811c9dc5;
  for (let i = 0; i < tokenLength; i++) value = Math.imul(value ^ bytes[start + i]!, 0x01000193);
  return value >>> 0;
}

/**
 * Builds the matcher once for a list of tokens. Per URL it walks the bytes and compares one byte
 * (the first dash) at most positions; only a full token shape after `/notes/` is hashed and
 * looked up, and a hash hit is confirmed byte for byte.
 */
export function createCanaryMatcher(tokens: readonly string[]): CanaryMatcher {
  const tokenBytes = tokens.map((token) => Buffer.from(token, 'latin1'));
  const byHash = new Map<number, number[]>();
  tokenBytes.forEach((bytes, index) => {
    if (bytes.length !== tokenLength) return;
    const key = fnv1a(bytes, 0);
    const list = byHash.get(key);
    if (list) list.push(index);
    else byHash.set(key, [index]);
  });

  return {
    match(url: Buffer, start: number, end: number): number {
      if (byHash.size === 0) return -1;
      const last = end - tokenLength;
      for (let i = start + prefixLength; i <= last; i++) {
        // dashes at 6, 13 and 20 inside the token: one comparison rules out nearly every position
        if (url[i + 6] !== dash || url[i + 13] !== dash || url[i + 20] !== dash) continue;
        let prefixMatches = true;
        for (let p = 0; p < prefixLength; p++) {
          if (url[i - prefixLength + p] !== prefixBytes[p]) {
            prefixMatches = false;
            break;
          }
        }
        if (!prefixMatches) continue;
        if (!endsTokenAt((index) => url[index]!, i + tokenLength, end)) continue;
        let shape = true;
        for (let j = 0; j < tokenLength; j++) {
          if (j === 6 || j === 13 || j === 20) continue;
          if (tokenAlphabetTable[url[i + j]!] === 0) {
            shape = false;
            break;
          }
        }
        if (!shape) continue;
        const candidates = byHash.get(fnv1a(url, i));
        if (candidates === undefined) continue;
        for (const index of candidates) {
          if (url.compare(tokenBytes[index]!, 0, tokenLength, i, i + tokenLength) === 0) return index;
        }
      }
      return -1;
    },
  };
}

/**
 * The token in a request target if its path ends in `/notes/<token>` (the listener's test; the
 * token is then looked up among the active ones). Null for every other path.
 */
export function extractCanaryToken(target: string): string | null {
  let pathEnd = target.length;
  const query = target.indexOf('?');
  if (query !== -1) pathEnd = query;
  const fragment = target.indexOf('#');
  if (fragment !== -1 && fragment < pathEnd) pathEnd = fragment;
  if (pathEnd > 0 && target.charCodeAt(pathEnd - 1) === slash) pathEnd--;
  const start = pathEnd - tokenLength;
  if (start < prefixLength) return null;
  if (target.slice(start - prefixLength, start) !== canaryPathPrefix) return null;
  for (let j = 0; j < tokenLength; j++) {
    const code = target.charCodeAt(start + j);
    if (j === 6 || j === 13 || j === 20) {
      if (code !== dash) return null;
    } else if (code > 255 || tokenAlphabetTable[code] === 0) return null;
  }
  return target.slice(start, pathEnd);
}
