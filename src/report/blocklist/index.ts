/** Blocklists: one model built from a report, writers for servers and firewalls, a diff for --dry-run. */
export {
  blockKinds,
  buildBlocklist,
  parseCidrList,
  sourceName,
  type Blocklist,
  type BlockContext,
  type BlockEntry,
  type BlockKind,
  type BlockRefusal,
  type BlockSelection,
  type BlockSource,
} from './model.js';
export { blocklistWriters, commentSafe, headerLines, renderBlocklist, type BlocklistTarget, type BlocklistWriter } from './writers.js';
export { diffLines } from './diff.js';
