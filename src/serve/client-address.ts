import ipaddr from 'ipaddr.js';
import { ReplaywatchError } from '../common/errors.js';
import { clientAddressText } from '../common/ip-text.js';

/*
 * Who sent a request. The direct TCP peer, unless that peer is a reverse proxy the operator
 * declared with --trust-proxy: then X-Forwarded-For is read from the right, skipping trusted
 * proxies, and the first untrusted address is the client (every address left of it was written
 * by the client itself and proves nothing).
 */

export interface TrustedProxies {
  contains(ip: string): boolean;
  readonly size: number;
}

export function parseTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const ranges = cidrs.map((text) => {
    try {
      if (text.includes('/')) return ipaddr.parseCIDR(text);
      const address = ipaddr.parse(text);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch (cause) {
      throw new ReplaywatchError('E_USAGE', `--trust-proxy is not an address or CIDR: ${text}`, { cause, hint: 'e.g. --trust-proxy 127.0.0.1/32' });
    }
  });
  return {
    size: ranges.length,
    contains(ip) {
      if (ranges.length === 0 || !ipaddr.isValid(ip)) return false;
      const address = ipaddr.process(ip);
      return ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
    },
  };
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as IPv4, IPv6 in its canonical short form without a zone id; other text as is. */
export function normaliseAddress(raw: string | undefined): string {
  if (!raw) return '';
  const text = clientAddressText(raw);
  if (!ipaddr.isValid(text)) return text;
  return ipaddr.process(text).toString();
}

/** An X-Forwarded-For entry without port or brackets (`[2001:db8::1]:443`, `1.2.3.4:5678`); null when not an address. */
function parseForwardedEntry(entry: string): string | null {
  let text = entry.trim();
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) return null;
    text = text.slice(1, close);
  } else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(text)) {
    text = text.slice(0, text.lastIndexOf(':'));
  }
  return ipaddr.isValid(text) ? normaliseAddress(text) : null;
}

export function resolveClientAddress(peer: string, forwardedFor: string | undefined, trusted: TrustedProxies): string {
  if (!forwardedFor || !trusted.contains(peer)) return peer;
  // header size is already bounded by maxHeaderSize; bound the walk anyway
  const entries = forwardedFor.split(',').slice(-64);
  let client = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = parseForwardedEntry(entries[i]!);
    if (address === null) break; // garbage: keep the last address a trusted hop vouched for
    client = address;
    if (!trusted.contains(address)) break;
  }
  return client;
}
