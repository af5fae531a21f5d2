import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../common/ip-text.js';
import type { Random } from './random.js';

/**
 * Real public prefixes the simulated actors sit in. Facts, not a catalogue: each prefix is
 * announced by (or published for) the named owner as of 2024–2026 (crawler, previewer and
 * mail-scanner ranges copied from ../shared/data/attribution/, the rest from RIR/BGP data).
 * Addresses are drawn inside them at random, so a detector sees the same networks it would
 * see in a real log but never the same hosts twice across seeds.
 */
export interface NetworkPool {
  name: string;
  /** IPv4 prefixes, CIDR */
  v4: readonly string[];
  /** IPv6 prefixes, CIDR (length ≤ 64) */
  v6?: readonly string[];
}

const pool = (name: string, v4: string[], v6: string[] = []): NetworkPool => ({ name, v4, v6 });

/** Home broadband: people at home. */
export const residential: readonly NetworkPool[] = [
  pool('Comcast Cable', ['73.0.0.0/8', '24.0.0.0/12', '98.192.0.0/10'], ['2601::/20']),
  pool('AT&T Internet', ['99.0.0.0/10', '76.192.0.0/10'], ['2600:1700::/28']),
  pool('Verizon Fios', ['96.224.0.0/11', '71.160.0.0/11'], ['2600:4040::/26']),
  pool('Charter Spectrum', ['66.68.0.0/15', '70.112.0.0/13'], ['2603:6000::/20']),
  pool('Deutsche Telekom', ['79.192.0.0/10', '87.128.0.0/10', '91.0.0.0/10', '93.192.0.0/10'], ['2003::/19']),
  pool('Vodafone Germany', ['88.64.0.0/12'], ['2a02:8100::/27']),
  pool('Orange France', ['90.0.0.0/9', '86.192.0.0/11'], ['2a01:cb00::/24']),
  pool('Free SAS', ['82.64.0.0/11'], ['2a01:e00::/26']),
  pool('British Telecom', ['86.128.0.0/10', '81.128.0.0/11'], ['2a00:23c0::/27']),
  pool('Rogers', ['99.224.0.0/11'], ['2607:fea8::/29']),
  pool('Telstra', ['110.140.0.0/14', '120.144.0.0/13']),
  pool('NTT OCN', ['153.128.0.0/9'], ['2400:4050::/30']),
  pool('Telia', ['78.64.0.0/12'], ['2001:2040::/29']),
  pool('Proximus', ['81.240.0.0/12']),
];

/** Mobile carriers: their IPv4 is carrier-grade NAT shared by thousands of subscribers. */
export const mobileCarriers: readonly NetworkPool[] = [
  pool('T-Mobile USA', ['172.56.0.0/13'], ['2607:fb90::/28']),
  pool('Verizon Wireless', ['174.192.0.0/10'], ['2600:1000::/24']),
  pool('AT&T Mobility', ['107.77.192.0/18', '166.216.128.0/17'], ['2600:380::/26']),
  pool('Three UK', ['92.40.0.0/14']),
  pool('Telekom Deutschland Mobile', ['80.187.64.0/18'], ['2a01:598::/31']),
  pool('Reliance Jio', ['49.32.0.0/11'], ['2409:4000::/22']),
];

/** Business lines where offices sit behind one NAT address. */
export const business: readonly NetworkPool[] = [
  pool('Comcast Business', ['50.192.0.0/10']),
  pool('Zayo', ['64.125.0.0/16']),
  pool('Cogent', ['38.0.0.0/10']),
  pool('Lumen', ['4.0.0.0/9']),
  pool('Deutsche Telekom Business', ['217.0.0.0/13']),
  pool('Colt', ['212.36.0.0/16']),
];

/** Hosting and cloud providers. */
export const hosting: readonly NetworkPool[] = [
  pool('DigitalOcean', ['159.89.0.0/16', '167.99.0.0/16', '68.183.0.0/16'], ['2604:a880::/32']),
  pool('Hetzner', ['5.9.0.0/16', '88.198.0.0/16', '95.216.0.0/16'], ['2a01:4f8::/32']),
  pool('OVH', ['51.38.0.0/16', '145.239.0.0/16'], ['2001:41d0::/32']),
  pool('Linode', ['172.104.0.0/15', '139.162.0.0/16'], ['2600:3c00::/27']),
  pool('Vultr', ['45.32.0.0/16', '45.76.0.0/16', '149.28.0.0/16']),
  pool('Contabo', ['173.212.192.0/18', '161.97.64.0/18']),
];

export const amazon = pool('Amazon AWS', ['3.80.0.0/12', '54.8.0.0/16', '18.204.0.0/14', '34.192.0.0/12']);
export const googleCloud = pool('Google Cloud', ['34.128.0.0/10', '35.208.0.0/12']);
export const azure = pool('Microsoft Azure', ['20.36.0.0/14', '40.76.0.0/14', '52.160.0.0/11']);

/** Commercial VPN exits: many customers behind each address. */
export const vpnProviders: readonly NetworkPool[] = [
  pool('M247 (NordVPN, ProtonVPN, Surfshark exits)', ['37.120.128.0/17', '146.70.0.0/16']),
  pool('Datacamp / CDN77 (VPN exits)', ['89.187.160.0/19', '212.102.32.0/19']),
  pool('31173 Services (Mullvad)', ['193.138.218.0/24', '185.213.154.0/24']),
];

/** Published crawler ranges (lord-alfred/googlebot, lord-alfred/bing, vendor lists). */
export const googlebot = pool('Googlebot', ['66.249.64.0/23', '66.249.66.0/24', '66.249.69.0/24', '66.249.70.0/23', '66.249.72.0/22', '66.249.79.0/24'], ['2001:4860:4801:10::/60']);
export const bingbot = pool('Bingbot', ['40.77.167.0/24', '157.55.39.0/24', '207.46.13.0/24', '40.77.188.0/22']);
export const ahrefsbot = pool('AhrefsBot', ['54.36.148.0/22', '54.36.149.0/24']);
export const applebot = pool('Applebot', ['17.241.0.0/16', '17.22.237.0/24']);

/** Link previewers' networks (Slack and Discord fetch from public clouds). */
export const facebook = pool('Facebook', ['31.13.64.0/18', '66.220.144.0/20', '69.171.224.0/19', '173.252.64.0/18'], ['2a03:2880::/32']);
export const twitter = pool('Twitter', ['199.16.156.0/22', '199.59.148.0/22']);
export const telegram = pool('Telegram', ['149.154.160.0/20', '91.108.4.0/22']);
export const linkedin = pool('LinkedIn', ['108.174.0.0/20']);
export const microsoftSkype = pool('Microsoft (Skype/Teams previews)', ['52.112.0.0/14', '52.120.0.0/14']);

/** Mail link scanners (FACTS.md: Office 365 endpoint lists; vendor ASN ranges). */
export const exchangeOnline = pool('Microsoft Exchange Online Protection', ['40.92.0.0/15', '40.107.0.0/16', '52.100.0.0/14', '104.47.0.0/17'], ['2a01:111:f400::/48', '2a01:111:f403::/48']);
export const proofpoint = pool('Proofpoint', ['67.231.158.0/23', '148.163.156.0/23', '66.159.224.0/23', '91.207.212.0/23']);
export const mimecast = pool('Mimecast', ['41.74.203.0/24', '63.128.21.0/24', '103.96.20.0/22', '147.28.34.0/23']);
export const barracuda = pool('Barracuda', ['64.235.144.0/22', '64.235.150.0/23']);

/** Security clouds that re-fetch what their users browse. */
export const trendMicroIncident = pool('Trend Micro (2010–2012 replay blocks)', [
  '150.70.64.0/24', '150.70.75.0/24', '150.70.84.0/24', '150.70.97.0/24', '150.70.172.0/24', '150.70.173.0/24', '150.70.188.0/24',
]);
export const trendMicroCupertino = pool('Trend Micro (Cupertino)', ['216.104.15.128/27']);
export const zscaler = pool('Zscaler', ['165.225.0.0/20', '136.226.44.0/22', '147.161.242.0/23']);
export const netskope = pool('Netskope', ['163.116.128.0/17', '8.36.116.0/24']);
export const menlo = pool('Menlo Security', ['57.140.0.0/20']);
export const forcepoint = pool('Forcepoint', ['86.111.218.0/23', '157.167.4.0/23']);
export const kaspersky = pool('Kaspersky', ['82.202.184.0/23']);

/** The AOL proxy/cache farm of the old logs (issue 10: one person's session over 25 of its addresses). */
export const aolProxies = pool('AOL proxy farm', ['205.188.116.0/23']);

/** Scanners and bulletproof hosting that probe for other software. */
export const scanners: readonly NetworkPool[] = [
  pool('Censys', ['162.142.125.0/24', '167.248.133.0/24', '167.94.138.0/24']),
  pool('Shadowserver', ['184.105.139.0/24', '216.218.206.0/24']),
  pool('DigitalOcean (scanner tenants)', ['134.209.0.0/16', '137.184.0.0/16', '147.182.0.0/16']),
  pool('PFCloud / bulletproof hosting', ['45.155.205.0/24', '193.142.146.0/24', '185.224.128.0/24']),
  pool('Tor exits (Stiftung Erneuerbare Freiheit)', ['185.220.100.0/22']),
  pool('Chinanet', ['218.92.0.0/16', '61.177.172.0/24']),
];

/** Uptime monitors' published probe ranges. */
export const uptimeRobot = pool('UptimeRobot', ['69.162.124.224/28', '63.143.42.240/28', '216.245.221.80/28', '208.115.199.16/28', '216.144.248.16/28']);
export const pingdom = pool('Pingdom', ['178.255.152.0/24', '185.180.12.64/27', '185.152.65.0/26', '43.229.84.0/26', '94.75.211.72/29']);

/** The /64 (or the address itself for IPv4): the unit a client is compared by. */
export function clientKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  return v6PrefixGroups(ip).map((group) => group.toString(16).padStart(4, '0')).join(':');
}

/** The first four groups (the /64) of an IPv6 address. */
function v6PrefixGroups(ip: string): number[] {
  const words = [0, 0, 0, 0];
  if (!parseIPv6(ip, words)) throw new Error(`not an IPv6 address: ${ip}`);
  return [words[0]! >>> 16, words[0]! & 0xffff, words[1]! >>> 16, words[1]! & 0xffff];
}

/** Eight 16-bit groups as IPv6 text. */
function formatGroups(groups: number[]): string {
  return formatIPv6([0, 2, 4, 6].map((at) => ((groups[at]! << 16) | groups[at + 1]!) >>> 0));
}

/**
 * Draws addresses and remembers every client key handed out, so two actors never share an
 * address by accident (sharing is modelled on purpose, through one actor's pool).
 */
export class AddressAllocator {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Random) {}

  /** A fresh IPv4 host address inside one of the pool's prefixes. */
  v4(network: NetworkPool, prefixIndex?: number): string {
    for (let attempt = 0; attempt < 100; attempt++) {
      const cidr = prefixIndex === undefined ? this.rng.pick(network.v4) : network.v4[prefixIndex % network.v4.length]!;
      const address = randomV4In(this.rng, cidr);
      if (!this.used.has(address)) {
        this.used.add(address);
        return address;
      }
    }
    throw new Error(`address pool ${network.name} exhausted`);
  }

  /** A fresh IPv4 address in the same /24 as another (the neighbours a cloud actor uses). */
  v4Near(address: string): string {
    const base = parseIPv4(address) & 0xffffff00;
    for (let attempt = 0; attempt < 200; attempt++) {
      const candidate = formatIPv4(base | this.rng.int(2, 254));
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return candidate;
      }
    }
    return this.v4({ name: 'near', v4: [`${formatIPv4(base)}/16`] });
  }

  /** A fresh /64 inside one of the pool's IPv6 prefixes, returned as its first four groups. */
  v6Prefix(network: NetworkPool): number[] {
    const prefixes = network.v6 ?? [];
    if (prefixes.length === 0) throw new Error(`${network.name} has no IPv6 prefix`);
    for (let attempt = 0; attempt < 100; attempt++) {
      const groups = randomV6PrefixIn(this.rng, this.rng.pick(prefixes));
      const key = groups.map((group) => group.toString(16).padStart(4, '0')).join(':');
      if (!this.used.has(key)) {
        this.used.add(key);
        return groups;
      }
    }
    throw new Error(`IPv6 pool ${network.name} exhausted`);
  }

  /** A privacy (RFC 4941 temporary) address: a random interface id inside the /64. */
  v6Address(prefix: number[], stable = false): string {
    const iid = [this.rng.int(0, 0xffff), this.rng.int(0, 0xffff), this.rng.int(0, 0xffff), this.rng.int(1, 0xffff)];
    if (stable) iid[0] = 0;
    return formatGroups([...prefix, ...iid]);
  }

  /** Marks an address as taken (for fixed, published addresses). */
  reserve(address: string): void {
    this.used.add(clientKey(address));
  }
}

function randomV4In(rng: Random, cidr: string): string {
  const [base, lengthText] = cidr.split('/') as [string, string];
  const length = Number(lengthText);
  const size = 2 ** (32 - length);
  const start = parseIPv4(base) & (length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);
  for (;;) {
    const value = (start + Math.floor(rng.next() * size)) >>> 0;
    const last = value & 255;
    // skip network and broadcast-looking host numbers, which are rarely clients
    if (size <= 2 || (last !== 0 && last !== 255)) return formatIPv4(value);
  }
}

function randomV6PrefixIn(rng: Random, cidr: string): number[] {
  const [base, lengthText] = cidr.split('/') as [string, string];
  const length = Number(lengthText);
  const groups = v6PrefixGroups(base);
  for (let bit = length; bit < 64; bit++) {
    if (rng.chance(0.5)) {
      const group = Math.floor(bit / 16);
      groups[group] = groups[group]! | (1 << (15 - (bit % 16)));
    }
  }
  return groups;
}
