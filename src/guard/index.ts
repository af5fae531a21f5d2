/**
 * `replaywatch/guard`: keep mail and chat scanners from consuming one-time links. See guard.ts.
 *
 *   import { createGuard, guardNode } from 'replaywatch/guard';
 *   const guard = createGuard({ findings: 'report.json', paths: ['/login/'] });
 *   http.createServer(guardNode(guard, handler));
 */
export { createGuard, Guard, addressesOfList, addressesOfReport, type GuardDecision, type GuardOptions, type GuardReason, type GuardRequest } from './guard.js';
export { guardExpress, guardFastify, guardHono, guardNode, type NodeHandler } from './adapters.js';
export { escapeHtml, interstitialPage, pageHeaders, type PageText } from './page.js';
