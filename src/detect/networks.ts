import { parseIPv4 } from '../common/ip-text.js';
import type { Detector } from './detector.js';

/** What the network grouping asks of attribution. */
export interface NetworkKeys {
  /** Same key = same network: a request by a client of the same network is not a replay. */
  networkKey(address: string): string;
}

/**
 * networkKey, asked once per IPv4 /24 when the answer is an ASN: routes longer than a /24 are
 * not carried between networks, so every address of a /24 has the ASN its first one has.
 * Other answers (catalogue prefixes, which can be smaller, and IPv6) are asked per address.
 */
function networkKeyCache(context: NetworkKeys): (address: string) => string {
  // keyed by the /24 as a number (a small integer: no string made per lookup)
  const bySlash24 = new Map<number, string>();
  return (address) => {
    const value = parseIPv4(address);
    if (value < 0) return context.networkKey(address);
    const slash24 = value >>> 8;
    const known = bySlash24.get(slash24);
    if (known !== undefined) return known;
    const key = context.networkKey(address);
    if (key.startsWith('AS')) bySlash24.set(slash24, key);
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
