import { createHmac, randomBytes } from 'node:crypto';

/**
 * Pseudonymizes people's addresses in a report: the network prefix stays (an IPv4 /16, an IPv6
 * /48), the rest is a keyed hash, so the same person maps to the same pseudonym within a report
 * and nobody without the key can reverse it. The key is random per run unless one is given.
 */
export function createAnonymizer(key: Buffer = randomBytes(32)): (ip: string) => string {
  const cache = new Map<string, string>();
  return (ip) => {
    let pseudonym = cache.get(ip);
    if (pseudonym !== undefined) return pseudonym;
    const digest = createHmac('sha256', key).update(ip).digest();
    if (ip.includes(':')) {
      const head = ip.split(':').slice(0, 3).map((group) => group || '0');
      const tail = [0, 2, 4, 6, 8].map((offset) => digest.readUInt16BE(offset).toString(16));
      pseudonym = [...head, ...tail].join(':');
    } else {
      const parts = ip.split('.');
      pseudonym = `${parts[0]}.${parts[1]}.${digest[0]}.${digest[1]}`;
    }
    cache.set(ip, pseudonym);
    return pseudonym;
  };
}
