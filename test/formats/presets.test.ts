/**
 * Formats are data with samples that test themselves (habit 4): every preset's samples are
 * detected as that preset (aliases as their target), and no preset's samples are claimed by
 * another.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DETECTION_ORDER, PRESETS, detectFormat, resolveFormat } from '../../src/formats/index.js';
import { ReplaywatchError } from '../../src/common/errors.js';

const lines = (texts: string[]): Buffer[] => texts.map((text) => Buffer.from(text));

test('every preset detects its own samples, and only its own', () => {
  for (const [name, preset] of Object.entries(PRESETS)) {
    const detection = detectFormat(lines(preset.samples.map((sample) => sample.line)));
    assert.ok(detection !== null, `${name}: samples not detected`);
    assert.equal(detection.format.name, preset.aliasOf ?? name, `${name}'s samples detected as ${detection.format.name}`);
    assert.equal(detection.parsed, detection.tried, `${name}: every sample parses`);
  }
});

test('each sample line alone is detected as its preset (no other preset claims it more strongly)', () => {
  for (const name of DETECTION_ORDER) {
    const preset = PRESETS[name];
    const headers = preset.samples.filter((sample) => sample.line.startsWith('#')).map((sample) => sample.line);
    for (const sample of preset.samples) {
      if (sample.line.startsWith('#')) continue;
      const detection = detectFormat(lines([...headers, sample.line]));
      assert.equal(detection?.format.name, name, `${name} sample detected as ${detection?.format.name}: ${sample.line.slice(0, 100)}`);
    }
  }
});

test('every detectable preset is in the detection order, aliases are not', () => {
  for (const [name, preset] of Object.entries(PRESETS)) {
    assert.equal(DETECTION_ORDER.includes(name), preset.aliasOf === undefined, name);
    assert.ok(preset.description.length > 10, `${name} has a description`);
    assert.ok(preset.samples.length > 0, `${name} has samples`);
  }
});

test('specificity: vhost_combined over combined over common when the lines allow each', () => {
  const vhost = detectFormat(lines(['example.com:80 192.0.2.1 - - [01/Mar/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"']));
  assert.equal(vhost?.format.name, 'vhost_combined');
  const combined = detectFormat(lines(['192.0.2.1 - - [01/Mar/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"']));
  assert.equal(combined?.format.name, 'combined');
  const common = detectFormat(lines(['192.0.2.1 - - [01/Mar/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5']));
  assert.equal(common?.format.name, 'common');
  // a combined log with a few common lines is still combined
  const mixed = detectFormat(
    lines([
      '192.0.2.1 - - [01/Mar/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"',
      '192.0.2.2 - - [01/Mar/2026:00:00:01 +0000] "GET /a HTTP/1.1" 200 5',
      '192.0.2.3 - - [01/Mar/2026:00:00:02 +0000] "GET /b HTTP/1.1" 200 5 "-" "y"',
    ]),
  );
  assert.equal(mixed?.format.name, 'combined');
  assert.equal(mixed?.parsed, 3);
});

test('W3C is detected by its #Fields header; header lines are not counted as tried', () => {
  const detection = detectFormat(
    lines([
      '#Software: Microsoft Internet Information Services 8.5',
      '#Version: 1.0',
      '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status',
      '2026-03-01 00:00:00 192.0.2.1 GET /a - 200',
      '2026-03-01 00:00:01 192.0.2.1 GET /b x=1 404',
    ]),
  );
  assert.equal(detection?.format.name, 'w3c');
  assert.equal(detection?.tried, 2);
  assert.equal(detection?.parsed, 2);
});

test('detectFormat returns null when nothing parses', () => {
  assert.equal(detectFormat(lines(['hello', 'world'])), null);
  assert.equal(detectFormat([]), null);
});

test('resolveFormat: presets by name (any case), aliases, unknown names with a hint', () => {
  assert.equal(resolveFormat('combined').name, 'combined');
  assert.equal(resolveFormat('NGINX').name, 'nginx');
  assert.equal(resolveFormat('litespeed').description.includes('combined'), true);
  assert.throws(
    () => resolveFormat('apachee'),
    (error: unknown) => error instanceof ReplaywatchError && error.code === 'E_FORMAT_UNKNOWN' && (error.hint ?? '').includes('vhost_combined'),
  );
});

test('W3C presets say they are stateful (workers must not split them by byte range)', () => {
  assert.equal(PRESETS.w3c.stateful, true);
  assert.equal(PRESETS.cloudfront.stateful, true);
  assert.notEqual(PRESETS.combined.stateful, true);
});
