/**
 * The signals that counted for and against a client, in plain sentences, so that a person can
 * check a verdict against the raw lines (explain prints them).
 */
import type { ClientEvidence } from './evidence.js';
import type { DetectionPolicy } from './policy.js';
import type { ClientSummary } from './types.js';

export interface Signals {
  for: string[];
  against: string[];
}

export function signalsOf(evidence: ClientEvidence | undefined, summary: ClientSummary, policy: Readonly<DetectionPolicy>): Signals {
  const support: string[] = [];
  const against: string[] = [];
  if (evidence !== undefined) {
    const replays = evidence.strongReplays + evidence.weakReplays;
    if (evidence.explained > 0) {
      support.push(
        `${evidence.explained} of its ${replays} replays are too soon or too private to be chance (≤ ${formatChance(policy.explainedBits)} chance each; ${evidence.bits.toFixed(1)} bits in all), after ${evidence.victimsCapped ? 'at least ' : ''}${evidence.victims.size} different clients`,
      );
    }
    if (evidence.inStep > 0) support.push(`${evidence.inStep} fetched within ${policy.inStepSeconds} s of another network's request of the same URL (in step, either order)`);
    if (evidence.snapshotReplays > 0) support.push(`${evidence.snapshotReplays} fetched in bursts of one person's pages visited over hours (a history snapshot)`);
    if (evidence.repeatReplays > 0) support.push(`${evidence.repeatReplays} fetched one person's pages after their visits, a person its network followed day after day (chance does not pick the same person every time)`);
    if (evidence.leads > 0) support.push(`first on ${evidence.leads} rare URLs that another network requested within ${policy.leadWindowSeconds / 60} min`);
    if (evidence.authMismatches > 0) support.push(`${evidence.authMismatches} replays denied or served less where the origin got the page`);
    if (evidence.strongOriginated + evidence.weakOriginated === 0 && replays > 0) support.push('never the first to request a rare URL');
    if (evidence.ambiguous > 0) against.push(`${evidence.ambiguous} replays chance explains as well (a page others visit, fetched long after someone)`);
    if (evidence.strongOriginated > 0 || evidence.weakOriginated > 0)
      against.push(`first on ${evidence.strongOriginated} URLs rare over the whole log and ${evidence.weakOriginated} rare that day (its own browsing)`);
    if (evidence.entryPoints > 0) against.push(`${evidence.entryPoints} fetches of entry points (/, robots.txt, favicon …), which prove nothing`);
    if (evidence.human) against.push('behaves like a person: loads images or styles, sends referrers, or posts forms');
    support.push(`replay share ${(evidence.share * 100).toFixed(0)}% (a candidate needs ${(policy.candidateShare * 100).toFixed(0)}%, ${(policy.documentedShare * 100).toFixed(0)}% in a documented network)`);
  } else {
    against.push('no rare URL in common with any other network');
  }
  if (summary.pages > 0 && summary.assets === 0) support.push('fetches pages only, never their images or styles');
  if (summary.http10 > 0 && summary.http10 * 2 >= summary.requests) support.push('speaks HTTP/1.0');
  if (summary.posts > 0) against.push(`${summary.posts} form posts or other writes`);
  return { for: support, against };
}

/** A pair's chance of being a coincidence, from its evidence bits: '2%', '0.001%'. */
export function formatChance(bits: number): string {
  const percent = Math.pow(10, -bits) * 100;
  return `${percent >= 1 ? percent.toFixed(0) : percent.toPrecision(1)}%`;
}
