import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScanOutcome, SkipCounter } from '../../src/formats/index.js';

const line = (text: string): Buffer => Buffer.from(text);

test('counts outcomes and keeps the first five examples, cut to 200 characters', () => {
  const counter = new SkipCounter();
  counter.count(ScanOutcome.Ok, '', line('ok'), 0, 2, 1);
  counter.count(ScanOutcome.Meta, '', line(''), 0, 0, 2);
  for (let i = 0; i < 7; i++) {
    const text = 'x'.repeat(300 + i);
    counter.count(ScanOutcome.Skip, i % 2 === 0 ? 'bad timestamp' : 'binary data', line(text), 0, text.length, 3 + i, 'a.log');
  }
  assert.equal(counter.lines, 9);
  assert.equal(counter.records, 1);
  assert.equal(counter.meta, 1);
  assert.equal(counter.skipped, 7);
  assert.deepEqual(counter.reasonCounts(), [{ reason: 'bad timestamp', count: 4 }, { reason: 'binary data', count: 3 }]);
  assert.equal(counter.examples.length, 5);
  assert.deepEqual(counter.examples[0], { line: 3, reason: 'bad timestamp', text: 'x'.repeat(200), file: 'a.log' });
});

test('invalid UTF-8 in examples does not throw', () => {
  const counter = new SkipCounter();
  const bytes = Buffer.from([0xff, 0xfe, 0x41, 0xc3]);
  counter.count(ScanOutcome.Skip, 'binary data', bytes, 0, bytes.length, 1);
  assert.equal(counter.examples[0].text.includes('A'), true);
});

test('merging range counters in file order renumbers their example lines', () => {
  const first = new SkipCounter();
  first.count(ScanOutcome.Ok, '', line('a'), 0, 1, 1);
  first.count(ScanOutcome.Skip, 'bad status', line('b'), 0, 1, 2);
  const second = new SkipCounter();
  second.count(ScanOutcome.Skip, 'bad status', line('c'), 0, 1, 1);
  const total = new SkipCounter();
  total.merge(first, total.lines);
  total.merge(second, total.lines);
  assert.equal(total.lines, 3);
  assert.equal(total.skipped, 2);
  assert.deepEqual(total.examples.map((example) => example.line), [2, 3]);
  assert.equal(total.reasons.get('bad status'), 2);
});
