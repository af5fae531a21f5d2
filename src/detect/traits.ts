/** What a client is, from its own requests: a person's browser, or a declared bot of some kind. */
import { Counter, type Detector } from './detector.js';
import type { DetectionPolicy } from './policy.js';

/** Browsers of people load images and styles, send referrers, log in and submit forms. */
export function looksHuman(detector: Detector, client: number, policy: DetectionPolicy): boolean {
  const requests = detector.count(client, Counter.Requests);
  if (requests === 0) return false;
  // a declared bot or automation agent (HeadlessChrome, curl, python-requests) is no person,
  // whatever it loads: headless link scanners render pages with their assets
  if (detector.count(client, Counter.BotRequests) * 2 >= requests) return false;
  if (detector.count(client, Counter.Posts) > 0) return true;
  const assets = detector.count(client, Counter.Assets);
  if (assets >= 2 && assets / requests >= policy.humanAssetShare) return true;
  return detector.count(client, Counter.WithReferrer) / requests >= policy.humanReferrerShare;
}

export type Declared = 'crawler' | 'link-preview' | 'quiet';

/**
 * Clients whose requests are mostly by a declared bot agent. Crawlers and link previewers are
 * reported as such; declared feed readers, monitors and scanners are 'quiet': not sources, and
 * their fetches are nobody's fingerprint (probes are reported from paths, separately).
 */
export function declaredKinds(detector: Detector): Map<number, Declared> {
  const declared = new Map<number, Declared>();
  // the addresses past the memory budget's limit, together: nobody, and nobody's fingerprint
  if (detector.overflowClient >= 0) declared.set(detector.overflowClient, 'quiet');
  for (let client = 0, count = detector.clientCount; client < count; client++) {
    if (client === detector.overflowClient) continue;
    const requests = detector.count(client, Counter.Requests);
    const bots = detector.count(client, Counter.BotRequests);
    if (bots === 0 || bots * 2 < requests) continue;
    if (detector.count(client, Counter.CrawlerRequests) * 2 >= requests) declared.set(client, 'crawler');
    else if (detector.count(client, Counter.PreviewRequests) * 2 >= requests) declared.set(client, 'link-preview');
    else {
      const agent = detector.agentClasses[detector.botAgentOf(client)];
      if (agent && (agent.kind === 'feed' || agent.kind === 'monitor' || agent.kind === 'scanner')) declared.set(client, 'quiet');
    }
  }
  return declared;
}


/**
 * Whether a client can be someone's victim: a browser that loads more than pages (an image, a
 * style, a script) or navigates with referrers. Scripted bots walking a site in step with each
 * other are nobody's victims, and their likeness in timing proves nothing. Form posts do not
 * count here (guestbook spam bots post).
 */
export function looksLikeBrowser(detector: Detector, client: number, policy: DetectionPolicy): boolean {
  const requests = detector.count(client, Counter.Requests);
  if (requests === 0) return false;
  if (detector.count(client, Counter.BotRequests) * 2 >= requests) return false;
  if (detector.count(client, Counter.Assets) + detector.count(client, Counter.Scripts) > 0) return true;
  return detector.count(client, Counter.WithReferrer) / requests >= policy.humanReferrerShare;
}
