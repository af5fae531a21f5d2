import { randomBytes } from 'node:crypto';
import { ReplaywatchError } from '../common/errors.js';

/*
 * A canary token: 24 characters of lowercase Crockford base32 (no i, l, o, u) in four groups of
 * six, e.g. `7hq2xk-m4c9vt-w5z0bn-r8e3dp`: 120 random bits from crypto.randomBytes. It sits in
 * an ordinary-looking page address, `<base>/notes/<token>`, and its fixed shape (dashes at 6,
 * 13 and 20) lets a log scanner rule out almost every URL with one byte comparison.
 */
export const tokenAlphabet = '0123456789abcdefghjkmnpqrstvwxyz';
/** characters in a token, dashes included */
export const tokenLength = 27;
/** offsets of the dashes inside a token */
export const tokenDashes = [6, 13, 20] as const;
/** the path segment in front of every canary token */
export const canaryPathPrefix = '/notes/';

/** 1 for bytes of the token alphabet, else 0: a lookup table for the hot path */
export const tokenAlphabetTable: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < tokenAlphabet.length; i++) table[tokenAlphabet.charCodeAt(i)] = 1;
  return table;
})();

/** Mints a new token from 15 random bytes (120 bits). */
export function mintToken(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(15);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += tokenAlphabet[(value >>> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return `${out.slice(0, 6)}-${out.slice(6, 12)}-${out.slice(12, 18)}-${out.slice(18, 24)}`;
}

/** Does this text have the shape of a token (not: is it a known one)? */
export function isTokenShape(text: string): boolean {
  if (text.length !== tokenLength) return false;
  for (let i = 0; i < tokenLength; i++) {
    const code = text.charCodeAt(i);
    if (i === 6 || i === 13 || i === 20) {
      if (code !== 0x2d /* '-' */) return false;
    } else if (code > 255 || tokenAlphabetTable[code] === 0) return false;
  }
  return true;
}

/** The canary URL for a token under a base URL (`https://example.org` or `https://example.org/blog`). */
export function canaryUrl(baseUrl: string, token: string): string {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch (cause) {
    throw new ReplaywatchError('E_USAGE', `--base-url is not a URL: ${baseUrl}`, { cause, hint: 'give the address of your server, e.g. --base-url https://example.org' });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ReplaywatchError('E_USAGE', `--base-url must be an http or https URL: ${baseUrl}`, { hint: 'e.g. --base-url https://example.org' });
  }
  const path = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${path}${canaryPathPrefix}${token}`;
}
