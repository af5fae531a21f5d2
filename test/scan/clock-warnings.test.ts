/**
 * A log whose clock is coarse (written to the minute, or times bucketed into a few minutes an
 * hour) is said so in the report's warnings: in-step fetches cannot be told there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Detector } from '../../src/detect/index.js';
import { scanWarnings } from '../../src/scan/parallel.js';
import { toRecord } from '../support/records.js';

const BASE = Date.parse('2026-03-02T00:00:00Z');

function detectorOf(timeOf: (index: number) => number): Detector {
  const detector = new Detector();
  for (let index = 0; index < 2000; index++) detector.observe(toRecord({ ip: `192.0.2.${index % 200}`, time: timeOf(index), url: `/page-${index % 50}` }));
  return detector;
}

test('a clock that runs to the second is not mentioned', () => {
  const warnings = scanWarnings(detectorOf((index) => BASE + index * 1_733_000));
  assert.deepEqual(warnings.filter((warning) => warning.includes('log\'s times')), []);
});

test('a log written to the minute, and one bunched into a minute an hour, are named', () => {
  const minutes = scanWarnings(detectorOf((index) => BASE + index * 60_000 * 7));
  assert.ok(minutes.some((warning) => warning.includes('tell minutes, not seconds')), minutes.join('\n'));
  const bunched = scanWarnings(detectorOf((index) => BASE + (index % 24) * 3_600_000 + 5 * 60_000 + (index % 60) * 1000));
  assert.ok(bunched.some((warning) => warning.includes('few minutes of each hour')), bunched.join('\n'));
});
