/** What detection found, in terms of client ids; report/ turns it into the view model. */

export type SourceKind = 'replayer' | 'prefetcher' | 'link-preview' | 'crawler';
export type ReplayPattern = 'realtime' | 'deferred' | 'snapshot';

/** One side of an evidence pair. */
export interface RequestRef {
  client: number;
  time: number; // epoch seconds
  status: number;
  bytes: number;
}

/** A rare URL requested first by `origin` and later by `replay` (or, for leads, the reverse roles). */
export interface EvidencePair {
  url: string;
  origin: RequestRef;
  replay: RequestRef;
  lagSeconds: number;
  /** strong: rare over the whole log; weak: rare within one day only */
  strong: boolean;
  authMismatch: boolean;
  /** -log10 of the chance this pair is a coincidence (detect/unit-walk.ts ChanceModel), when known */
  bits?: number;
  /** the two requests came seconds apart, in either order (a fetch in step with the user's) */
  inStep?: boolean;
  /** the origin is no browser (no assets, no referrers): a script's request is nobody's visit */
  originNotBrowser?: boolean;
  /** the nearest earlier request of another network by a browser: whose history a snapshot fetches, though other replayers came between */
  person?: RequestRef;
  /** a page of one person's history in a burst the scan confirmed by reading the log again (history-check.ts): the person's visit and the burst's fetch */
  history?: boolean;
  /** a history page many people visit (no rare-URL pair of its own): evidence only as part of its burst */
  popular?: boolean;
}

export interface SourceFinding {
  kind: SourceKind;
  pattern?: ReplayPattern;
  confidence: number;
  /** every client in the source */
  clients: number[];
  requests: number;
  replays: number;
  urls: number;
  victims: number;
  lagSeconds: { min: number; p50: number; p90: number; max: number } | null;
  authMismatch: number;
  /** the strongest pairs, best first */
  examples: EvidencePair[];
  /** catalogue entry id that named the group, if any */
  actorId?: string;
  /** declared bot family (link-preview, crawler) */
  agentName?: string;
  /** for claimed crawlers: verified by network, or an impostor */
  verified?: boolean | null;
  /** plain sentences explaining the score */
  reasons: string[];
  /** weak-only evidence (rare within a day, not over the whole log) */
  weakOnly: boolean;
  /** the pairs' weight together (detect/score.ts pairWeight): how much evidence, for ranking */
  evidence?: number;
}

export interface ProbeFinding {
  client: number;
  /** distinct probe paths; with `pathsNotKept`, its probe-path requests */
  paths: number;
  first: number;
  last: number;
  examples: string[];
  /** its paths came past the budget's bound on kept paths: `paths` counts requests, no examples */
  pathsNotKept?: boolean;
}

export interface ClientSummary {
  client: number;
  key: string;
  addresses: string[];
  requests: number;
  pages: number;
  assets: number;
  scripts: number;
  posts: number;
  withReferrer: number;
  http10: number;
  denied: number;
  notFound: number;
  first: number;
  last: number;
  userAgent: string;
  userAgents: number;
}
