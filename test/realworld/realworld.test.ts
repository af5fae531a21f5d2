/**
 * Real-world suite: every log in ../shared/data/real-logs and every format sample in
 * ../shared/data/format-samples (paths relative to the repo root), read in place, never
 * copied. Each must be detected as the right format and skip (W3C header lines are Meta, not
 * skips) under 0.1% of its lines, with these documented exceptions:
 *
 * - honeynet2004_httpd_access_log: a 2004 honeypot. Its broken lines are real: WebDAV
 *   "SEARCH /" overflow attempts with raw binary in the request (binary data), `"-"` requests
 *   of connections closed before a request (empty request), and Nikto probes whose "method"
 *   is junk like `GET!not found` or `<script>` (not a request line). They are counted with
 *   those reasons; the test asserts the count stays small and the reasons are these.
 * - Format samples that mix in lines which are not access-log lines at all (the files are a
 *   log shipper's parser fixtures): Apache and nginx error-log lines, LiteSpeed error-log
 *   lines, HAProxy SSL-handshake notices, a Caddy debug line, a Traefik plugin debug line.
 *   Each such line is listed below as `notAccess` and must be skipped; every other line must
 *   parse.
 * - iis-xml-logs.log is Windows event XML (IIS logging to ETW). It is supported as the
 *   `iis-xml` preset, since it only needed a scanner over the W3C field actions.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Field, scanInputs } from '../../src/formats/index.js';
import { expandInputs } from '../../src/ingest/index.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const shared = join(repoRoot, '..', 'shared', 'data');

interface Expectation {
  format: string;
  /** lines that are not access-log lines, with the reason each must be skipped for */
  notAccess?: { count: number; reasons: string[] };
}

const REAL_LOGS: Record<string, Expectation> = {
  'elastic_apache_logs.log.gz': { format: 'combined' },
  'nielsbasjes_hackers-access.log.gz': { format: 'combined' },
  'iis7_waikolai_W3SVC20_2009-2011.log.gz': { format: 'w3c' },
  'iis85_webknowit_W3SVC1_2015-2016.log.gz': { format: 'w3c' },
  'honeynet2004_httpd_access_log.log.gz': { format: 'combined' }, // checked separately below
};

const SAMPLES: Record<string, Expectation> = {
  'apache-http-probing.log': { format: 'common' },
  // two Apache error-log lines ("[Thu Oct 13 ...] [auth_basic:error] ...")
  'apache2-logs.log': { format: 'combined', notAccess: { count: 2, reasons: ['line does not match the format'] } },
  'aws-alb-logs.log': { format: 'alb' },
  'aws-cloudfront-logs.log': { format: 'cloudfront' },
  // one reverse_proxy debug line ("selected upstream")
  'caddy-logs.log': { format: 'caddy', notAccess: { count: 1, reasons: ['not an access log entry'] } },
  'envoy-logs.log': { format: 'envoy' },
  // three "SSL handshake failure" / heartbeat notices
  'haproxy-logs.log': { format: 'haproxy', notAccess: { count: 3, reasons: ['not an access log entry'] } },
  'http-admin-interface-probing.log': { format: 'combined' },
  'http-wordpress-scan.log': { format: 'combined' },
  'iis-xml-logs.log': { format: 'iis-xml' },
  // LiteSpeed's access log is combined; the two "[NOTICE]"/"[INFO]" lines are its error log
  'litespeed-logs.log': { format: 'combined', notAccess: { count: 2, reasons: ['bad timestamp'] } },
  'nginx-http-sensitive-files.log': { format: 'combined' },
  // two nginx error-log lines ("[error] ... password mismatch"); the combined line parses
  'nginx-proxy-manager-logs.log': { format: 'nginx-proxy-manager', notAccess: { count: 2, reasons: ['line does not match the format'] } },
  // one nginx error-log line ("[error] ... is not found")
  'nginx_http-logs.log': { format: 'combined', notAccess: { count: 1, reasons: ['line does not match the format'] } },
  'traefik_clf.log': { format: 'traefik-clf' },
  // one "DEBUG: CrowdsecBouncerTraefikPlugin" line
  'traefik_json.log': { format: 'traefik', notAccess: { count: 1, reasons: ['not a JSON object'] } },
  'zoraxy-http-logs.log': { format: 'zoraxy' },
};

const available = existsSync(join(shared, 'real-logs')) && existsSync(join(shared, 'format-samples'));

if (!available) {
  if (process.env.CI === 'true') {
    test('real-world logs are present in CI', () => {
      assert.fail(`${shared} is missing: the real-world suite must run in CI`);
    });
  } else {
    test.skip(`real-world suite: ${shared} not found, skipped the real logs (${Object.keys(REAL_LOGS).join(', ')}) and the format samples`);
  }
} else {
  const summary: string[] = [];

  async function scan(path: string) {
    let records = 0;
    let complete = 0;
    const result = await scanInputs(await expandInputs([path]), null, (record) => {
      records++;
      // the fields every later stage needs
      if (!Number.isNaN(record.time) && record.has(Field.Ip) && record.has(Field.Url)) complete++;
    });
    return { result, records, complete };
  }

  for (const [name, expectation] of Object.entries(REAL_LOGS)) {
    if (name.startsWith('honeynet')) continue;
    test(`real log ${name}: ${expectation.format}, under 0.1% skipped`, async () => {
      const { result, records, complete } = await scan(join(shared, 'real-logs', name));
      const counter = result.counter;
      summary.push(`${name}: ${result.format}, ${counter.lines} lines, ${counter.records} records, ${counter.meta} meta, ${counter.skipped} skipped`);
      assert.equal(result.format, expectation.format);
      assert.ok(counter.skipped <= counter.lines * 0.001, `${counter.skipped} skipped: ${JSON.stringify(counter.reasonCounts())}`);
      assert.ok(complete >= records * 0.999, `${records - complete} records without time, ip or url`);
      assert.ok(counter.records > 1000);
    });
  }

  test('real log honeynet2004: combined; its broken lines are counted with sensible reasons', async () => {
    const { result, records, complete } = await scan(join(shared, 'real-logs', 'honeynet2004_httpd_access_log.log.gz'));
    const counter = result.counter;
    summary.push(`honeynet2004: ${result.format}, ${counter.lines} lines, ${counter.records} records, ${counter.skipped} skipped ${JSON.stringify(counter.reasonCounts())}`);
    assert.equal(result.format, 'combined');
    assert.ok(counter.skipped > 0 && counter.skipped < counter.lines * 0.05, `${counter.skipped} of ${counter.lines}`);
    const allowed = new Set(['binary data', 'empty request ("-")', 'not a request line', 'no closing quote in request']);
    for (const { reason } of counter.reasonCounts()) assert.ok(allowed.has(reason), `unexpected reason '${reason}'`);
    assert.equal(counter.examples.length, 5);
    assert.equal(complete, records);
  });

  for (const [name, expectation] of Object.entries(SAMPLES)) {
    test(`format sample ${name}: ${expectation.format}`, async () => {
      const { result, records, complete } = await scan(join(shared, 'format-samples', name));
      const counter = result.counter;
      summary.push(`${name}: ${result.format}, ${counter.lines} lines, ${counter.skipped} skipped`);
      assert.equal(result.format, expectation.format);
      assert.equal(counter.skipped, expectation.notAccess?.count ?? 0, JSON.stringify(counter.examples));
      for (const { reason } of counter.reasonCounts()) assert.ok(expectation.notAccess?.reasons.includes(reason), `unexpected reason '${reason}'`);
      assert.equal(complete, records, 'every record has a time, a client and a url');
    });
  }

  test('summary', () => {
    // printed for the report; the assertions are above
    console.log(summary.join('\n'));
  });
}
