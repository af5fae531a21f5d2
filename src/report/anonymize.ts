import { createHmac, randomBytes } from 'node:crypto';
import { parseIPv4, parseIPv6 } from '../common/ip-text.js';

/**
 * Pseudonymizes people's addresses in a report: `anon-203.0-1a2b3c4d` for an IPv4 address
 * (its /16 kept, so the network is still readable), `anon-2001:db8:1-1a2b3c4d` for IPv6 (its
 * /48). The tail is a keyed hash (HMAC-SHA-256, 32 bits), so the same person has the same
 * pseudonym in every report made with the same key (store/report-key.ts keeps one in the
 * user's data directory) and nobody without the key can reverse it. The `anon-` form parses as
 * no address, so it cannot be mistaken for one, or looked up, or blocked by accident.
 */
export function createAnonymizer(key: Buffer = randomBytes(32)): (ip: string) => string {
  const cache = new Map<string, string>();
  const words = [0, 0, 0, 0];
  return (ip) => {
    let pseudonym = cache.get(ip);
    if (pseudonym !== undefined) return pseudonym;
    const digest = createHmac('sha256', key).update(ip).digest('hex').slice(0, 8);
    const v4 = parseIPv4(ip);
    if (v4 >= 0) pseudonym = `anon-${v4 >>> 24}.${(v4 >>> 16) & 255}-${digest}`;
    else if (parseIPv6(ip.startsWith('[') ? ip.slice(1, -1) : ip, words))
      pseudonym = `anon-${(words[0]! >>> 16).toString(16)}:${(words[0]! & 0xffff).toString(16)}:${(words[1]! >>> 16).toString(16)}-${digest}`;
    else pseudonym = `anon-${digest}`;
    if (cache.size < 1_000_000) cache.set(ip, pseudonym);
    return pseudonym;
  };
}
