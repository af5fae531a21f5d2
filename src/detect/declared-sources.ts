import type { AgentClass, CrawlerVerdict } from '../attribute/types.js';
import { Counter, type Detector } from './detector.js';
import type { Declared } from './traits.js';
import type { SourceFinding } from './types.js';

/** What reporting declared bots asks of attribution. */
export interface CrawlerVerifier {
  verifyCrawler(address: string, agent: AgentClass): CrawlerVerdict;
}

/** Declared link previewers and crawlers, one source per agent family (and crawler verdict). */
export function declaredSources(detector: Detector, declared: Map<number, Declared>, context: CrawlerVerifier): SourceFinding[] {
  const groups = new Map<string, { kind: 'crawler' | 'link-preview'; name: string; verified: boolean | null; clients: number[] }>();
  for (const [client, kind] of declared) {
    if (kind === 'quiet') continue;
    const agent = detector.agentClasses[detector.botAgentOf(client)];
    if (!agent) continue;
    let verified: boolean | null = null;
    if (kind === 'crawler') {
      const verdicts = detector.addressesOf(client).map((address) => context.verifyCrawler(address, agent));
      verified = verdicts.includes('impostor') ? false : verdicts.includes('verified') ? true : null;
    }
    const key = `${kind}|${agent.name}|${verified}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { kind, name: agent.name, verified, clients: [] }));
    group.clients.push(client);
  }
  const sources: SourceFinding[] = [];
  for (const group of groups.values()) {
    group.clients.sort((a, b) => a - b);
    let requests = 0;
    for (const client of group.clients) requests += detector.count(client, Counter.Requests);
    const reasons =
      group.kind === 'link-preview'
        ? [`declares itself ${group.name}, a link previewer: links shared in chats and posts are fetched by a third party`]
        : group.verified === true
          ? [`declares itself ${group.name}; its addresses are in ${group.name}'s published ranges`]
          : group.verified === false
            ? [`claims ${group.name}, is not: its addresses are outside ${group.name}'s published ranges`]
            : [`declares itself ${group.name}; no published ranges to verify it against offline`];
    sources.push({
      kind: group.kind,
      confidence: group.kind === 'link-preview' ? 0.95 : group.verified === true ? 0.95 : group.verified === false ? 0.9 : 0.6,
      clients: group.clients,
      requests,
      replays: 0,
      urls: 0,
      victims: 0,
      lagSeconds: null,
      authMismatch: 0,
      examples: [],
      agentName: group.name,
      verified: group.kind === 'crawler' ? group.verified : undefined,
      reasons,
      weakOnly: false,
    });
  }
  return sources;
}

