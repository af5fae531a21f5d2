import { createHmac } from 'node:crypto';

/**
 * Secrets in URLs, kept out of reports. A replayed URL is often a capability: a password reset
 * link, an OAuth `code=`, a signed download, a JWT. The report needs to show that two requests
 * were for the same URL, not the secret itself, so a secret becomes `[redacted:1a2b3c]`: a
 * short keyed hash (HMAC-SHA-256 with the user's report key, 24 bits), equal for equal values
 * so pairs still match by eye, too short to confirm a guess by, and the parameter name is
 * kept. `--show-secrets` turns it off.
 *
 * What counts as a secret: the value of a query parameter whose name says so (password,
 * token, code, key, sig, session, ... and names ending in one of them), any query value or
 * path segment that looks like a JWT or a random token (a UUID, 20+ hex digits, or 20+
 * characters of mixed case and digits that change class often, unlike a slug), and the path
 * segment after one that announces a secret (`/reset/<token>`, `/verify/<token>`, ...).
 */

/** Query parameter names (lower case, '-' read as '_') whose values are secrets. */
const SECRET_NAMES = new Set([
  'password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'code', 'key', 'sig', 'signature', 'auth', 'authorization',
  'session', 'sessionid', 'session_id', 'sid', 'jwt', 'otp', 'pin', 'apikey', 'api_key', 'access_token', 'refresh_token',
  'id_token', 'client_secret', 'x_amz_signature', 'x_amz_credential', 'x_amz_security_token', 'hash', 'nonce', 'ticket',
  'credential', 'credentials', 'private_token', 'auth_token', 'authtoken', 'reset', 'reset_token', 'magic', 'login_token',
]);
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'passwd', 'signature', '_key', 'apikey', 'session', 'sessionid'];
/** Path segments after which the next segment is a secret. */
const SECRET_PATHS = new Set(['reset', 'reset-password', 'password-reset', 'password', 'verify', 'verification', 'confirm', 'confirmation', 'activate', 'activation', 'invite', 'invitation', 'magic', 'magic-link', 'token', 'tokens', 'unsubscribe', 'login', 'signin', 'auth', 'oauth']);

const JWT = /^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONG_HEX = /^[0-9a-f]{20,}$/i;
const TOKEN_CHARS = /^[A-Za-z0-9_~-]{20,}$/;

export type Redactor = (url: string) => string;

/** Redacts secrets in a URL, a path or a whole log line's URL field; keyed by the report key. */
export function createRedactor(key: Buffer): Redactor {
  const cache = new Map<string, string>();
  const mark = (value: string): string => `[redacted:${createHmac('sha256', key).update(value).digest('hex').slice(0, 6)}]`;
  return (url) => {
    let redacted = cache.get(url);
    if (redacted !== undefined) return redacted;
    redacted = redactUrl(url, mark);
    if (cache.size < 10_000) cache.set(url, redacted);
    return redacted;
  };
}

function redactUrl(url: string, mark: (value: string) => string): string {
  const question = url.indexOf('?');
  const path = question < 0 ? url : url.slice(0, question);
  const segments = path.split('/');
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (segment === '') continue;
    const previous = index > 0 ? segments[index - 1]!.toLowerCase() : '';
    if (SECRET_PATHS.has(previous) && segment.length >= 6) segments[index] = mark(segment);
    else if (looksSecret(segment)) segments[index] = mark(segment);
  }
  let out = segments.join('/');
  if (question < 0) return out;
  const query = url.slice(question + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return looksSecret(pair) ? mark(pair) : pair;
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (value === '') return pair;
    return isSecretName(name) || looksSecret(value) ? `${name}=${mark(value)}` : pair;
  });
  out += `?${query.join('&')}`;
  return out;
}

function isSecretName(name: string): boolean {
  let lower = name.toLowerCase().replace(/-/g, '_');
  try {
    if (lower.includes('%')) lower = decodeURIComponent(lower);
  } catch {
    // a malformed escape: judge the name as written
  }
  // `user[password]`, `data.token`: the last part names the value
  const last = lower.split(/[[\].]/).filter(Boolean).pop() ?? lower;
  return SECRET_NAMES.has(last) || SECRET_SUFFIXES.some((suffix) => last.endsWith(suffix));
}

/** A JWT, a UUID, 20+ hex digits, or 20+ token characters that look random rather than like words. */
export function looksSecret(text: string): boolean {
  if (text.length < 20) return false;
  if (JWT.test(text) || UUID.test(text) || LONG_HEX.test(text)) return true;
  if (!TOKEN_CHARS.test(text)) return false;
  let digits = 0;
  let upper = 0;
  let lower = 0;
  let changes = 0;
  let previous = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    // 1 digit, 2 upper, 3 lower, 0 separator
    const kind = code >= 48 && code <= 57 ? 1 : code >= 65 && code <= 90 ? 2 : code >= 97 && code <= 122 ? 3 : 0;
    if (kind === 1) digits++;
    else if (kind === 2) upper++;
    else if (kind === 3) lower++;
    if (kind !== 0 && previous !== 0 && kind !== previous) changes++;
    previous = kind;
  }
  // random base64url changes class on about 60% of characters; a slug or a word on a few
  return digits >= 2 && upper >= 2 && lower >= 2 && changes >= text.length * 0.3;
}
