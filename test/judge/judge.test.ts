import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Truth } from '../../src/simulate/index.js';
import { barFailures, judge } from '../support/judge.js';

const truth: Truth = {
  seed: 7,
  scenario: 'hand-made',
  format: 'combined',
  lines: 100,
  records: 100,
  files: ['access.log'],
  from: '2026-03-02T00:00:00.000Z',
  to: '2026-03-03T00:00:00.000Z',
  actors: [
    { id: 'replayer-1', kind: 'replayer', pattern: 'deferred', name: 'av', ips: ['150.70.64.10', '150.70.64.11', '216.104.15.130'] },
    { id: 'replayer-2', kind: 'replayer', pattern: 'realtime', ips: ['165.225.1.2'] },
    { id: 'prefetcher-1', kind: 'prefetcher', ips: ['40.92.1.1', '2a01:111:f400:1::1'] },
    { id: 'human-1', kind: 'human', ips: ['73.1.2.3'] },
    { id: 'ipv6-privacy-1', kind: 'ipv6-privacy', ips: ['2003:e1:aa00:1:1::1', '2003:e1:aa00:1:2::2'] },
    { id: 'cgnat-1', kind: 'cgnat', ips: ['172.56.1.1'] },
    { id: 'link-preview-1', kind: 'link-preview', name: 'Slackbot', ips: ['3.80.0.1', '3.80.0.2'] },
    { id: 'probe-1', kind: 'probe', ips: ['45.155.205.9'] },
    { id: 'fake-crawler-1', kind: 'fake-crawler', ips: ['159.89.1.1'] },
  ],
};

test('judge scores a hand-made report: precision, recall, /64 matching, patterns, coverage, false positives by kind', () => {
  const verdict = judge(truth, {
    sources: [
      { kind: 'replayer', pattern: 'deferred', ips: ['150.70.64.10', '150.70.64.11'] },
      { kind: 'replayer', pattern: 'realtime', ips: ['216.104.15.130', '165.225.1.2', '172.56.1.1'] },
      // a different address in the same /64 counts as the same client
      { kind: 'prefetcher', ips: ['2a01:111:f400:1:abcd::9'] },
      { kind: 'link-preview', ips: ['3.80.0.1'] },
      { kind: 'crawler', ips: ['159.89.1.1'] },
    ],
    probes: [{ ip: '45.155.205.9' }],
  });
  // 6 positive clients; predicted: 150.70.64.10, .11, 216.104.15.130, 165.225.1.2, 172.56.1.1, the EOP /64
  assert.equal(verdict.positives, 6);
  assert.equal(verdict.predicted, 6);
  assert.equal(verdict.truePositives, 5);
  assert.equal(verdict.precision, 5 / 6);
  assert.equal(verdict.recall, 5 / 6);
  assert.deepEqual(verdict.falsePositivesByKind, { cgnat: ['172.56.1.1'] });
  assert.deepEqual(verdict.missedByActor, { 'prefetcher-1': ['40.92.1.1'] });
  // replayer-1: two deferred votes, one realtime -> deferred; replayer-2 realtime
  assert.equal(verdict.patternAccuracy, 1);
  assert.equal(verdict.linkPreviewCoverage, 0.5);
  assert.equal(verdict.proberCoverage, 1);
  assert.deepEqual(verdict.fakeCrawlersAsCrawler, ['159.89.1.1']);
  // named as a fake (verified: false, "claims Googlebot, is not"): not a crawler the report vouches for
  const named = judge(truth, { sources: [{ kind: 'crawler', ips: ['159.89.1.1'], verified: false }], probes: [] });
  assert.deepEqual([named.fakeCrawlersAsCrawler, named.fakeCrawlersNamed], [[], ['159.89.1.1']]);
  assert.ok(verdict.summary.includes('precision 83.3%'), verdict.summary);
  const failures = barFailures(truth, verdict);
  assert.deepEqual(failures, ['precision 83.3% < 97%', 'recall 83.3% < 95%', 'link previewers found 50.0% < 90%']);
});

test('judge: an empty report on a log without replayers passes; any replayer source on it fails', () => {
  const clean: Truth = { ...truth, actors: truth.actors.filter((actor) => actor.kind !== 'replayer' && actor.kind !== 'prefetcher') };
  const empty = judge(clean, { sources: [{ kind: 'link-preview', ips: ['3.80.0.1', '3.80.0.2'] }], probes: [{ ip: '45.155.205.9' }] });
  assert.deepEqual(barFailures(clean, empty), []);
  assert.equal(empty.precision, 1);
  const wrong = judge(clean, { sources: [{ kind: 'replayer', pattern: 'realtime', ips: ['2003:e1:aa00:1:ffff::1'] }], probes: [] });
  assert.deepEqual(wrong.falsePositivesByKind, { 'ipv6-privacy': ['2003:00e1:aa00:0001'] });
  assert.ok(barFailures(clean, wrong).some((failure) => failure.includes('in a log without any')));
});

test('judge: a replayer actor that is not found, or found with the wrong pattern, counts against pattern accuracy', () => {
  const verdict = judge(truth, {
    sources: [{ kind: 'replayer', pattern: 'snapshot', ips: ['150.70.64.10'] }],
    probes: [],
  });
  assert.equal(verdict.patternAccuracy, 0);
  assert.deepEqual(
    verdict.patterns.map((result) => [result.actor, result.reported]),
    [
      ['replayer-1', 'snapshot'],
      ['replayer-2', null],
    ],
  );
});

test('judge: false positives on the confounders of real logs are named by their own kinds', () => {
  const confounded: Truth = {
    ...truth,
    actors: [
      ...truth.actors,
      { id: 'spam-bot-1', kind: 'spam-bot', ips: ['159.89.7.7', '45.32.8.8'] },
      { id: 'undeclared-crawler-1', kind: 'undeclared-crawler', ips: ['5.9.1.1'] },
      { id: 'proxy-farm-1', kind: 'proxy-farm', ips: ['205.188.116.7', '205.188.117.33'] },
      { id: 'homepage-checker-1', kind: 'homepage-checker', ips: ['3.80.9.9'] },
    ],
  };
  const verdict = judge(confounded, {
    sources: [
      { kind: 'replayer', pattern: 'snapshot', ips: ['159.89.7.7', '45.32.8.8', '5.9.1.1'] },
      { kind: 'replayer', pattern: 'deferred', ips: ['205.188.116.7', '3.80.9.9', '150.70.64.10'] },
    ],
    probes: [],
  });
  assert.deepEqual(verdict.falsePositivesByKind, {
    'spam-bot': ['159.89.7.7', '45.32.8.8'],
    'undeclared-crawler': ['5.9.1.1'],
    'proxy-farm': ['205.188.116.7'],
    'homepage-checker': ['3.80.9.9'],
  });
  assert.match(verdict.summary, /false positives by kind: spam-bot 2 \(159\.89\.7\.7, 45\.32\.8\.8\); undeclared-crawler 1 .*proxy-farm 1 .*homepage-checker 1/);
});
