#!/bin/sh
":" //; case " $NODE_OPTIONS" in *semi-space-size*) exec node "$0" "$@" ;; esac; exec node --max-semi-space-size=4 "$0" "$@"
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
//
// A shell script and an ES module at once. Run as a command, sh reads the line above and
// replaces itself (exec: no second process) by node with a young generation of 4 MB
// semi-spaces, as the scan's worker threads have (scan/parallel.ts WORKER_LIMITS): V8 grows
// it to 16 MB under any scan that keeps data, which was 25-40 MB of a scan's peak RSS (a
// 64MB budget's hostile scan: 181-192 MB, 152-158 MB with it) at the same speed. The flag can
// only be given when node starts (v8.setFlagsFromString changes nothing once the heap is
// set up), and a NODE_OPTIONS that sets it is left to win. Run as `node bin/replaywatch.js`,
// the line is a string and a comment: node's defaults.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(error); process.exitCode = 2; },
);
