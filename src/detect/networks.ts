import { parseIPv4, parseIPv6, type Words } from '../common/ip-text.js';
import type { Detector } from './detector.js';

/** What the network grouping asks of attribution. */
export interface NetworkKeys {
  /** Same key = same network: a request by a client of the same network is not a replay. */
  networkKey(address: string): string;
}

/**
 * networkKey, asked once per IPv4 /24 and IPv6 /48 when the answer is an ASN: routes longer
 * than those are not carried between networks, so every address of a /24 (/48) has the ASN its
 * first one has. Other answers (catalogue prefixes, which can be smaller) are asked per address.
 */
function networkKeyCache(context: NetworkKeys): (address: string) => string {
  // keyed by the prefix as a number (no string made per lookup): a /24 below 2^24, a /48 above
  const byPrefix = new Map<number, string>();
  const words: Words = [0, 0, 0, 0];
  return (address) => {
    const value = parseIPv4(address);
    let prefix: number;
    if (value >= 0) prefix = value >>> 8;
    else if (parseIPv6(address, words)) prefix = 2 ** 24 + words[0]! * 65_536 + (words[1]! >>> 16);
    else return context.networkKey(address);
    const known = byPrefix.get(prefix);
    if (known !== undefined) return known;
    const key = context.networkKey(address);
    if (key.startsWith('AS')) byPrefix.set(prefix, key);
    return key;
  };
}

/**
 * Each client's network key (its first address's), asked once per client: as a small id for
 * the unit walk, which compares the networks of every pair, and as text for group keys.
 */
export class ClientNetworks {
  /** client -> network id + 1 (0: not asked yet) */
  private readonly idOfClient: Int32Array;
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly keyOf: (address: string) => string;

  constructor(
    private readonly detector: Detector,
    context: NetworkKeys,
  ) {
    this.idOfClient = new Int32Array(detector.clientCount);
    this.keyOf = networkKeyCache(context);
  }

  id(client: number): number {
    const known = this.idOfClient[client]!;
    if (known !== 0) return known - 1;
    const name = this.keyOf(this.detector.firstAddressOf(client));
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.push(name) - 1;
      this.ids.set(name, id);
    }
    this.idOfClient[client] = id + 1;
    return id;
  }

  name(client: number): string {
    return this.names[this.id(client)]!;
  }
}
