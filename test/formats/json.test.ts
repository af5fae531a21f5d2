import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FormatOptions, type ParsedRecord, ScanOutcome, ScanRecord, resolveFormat } from '../../src/formats/index.js';
import { random } from '../support/records.js';

function parse(format: string, line: string | Buffer, options?: FormatOptions): ParsedRecord & { outcome: number; reason: string } {
  const scanner = resolveFormat(format, options).createScanner();
  const record = new ScanRecord();
  const buffer = typeof line === 'string' ? Buffer.from(line) : line;
  const outcome = scanner.scan(buffer, 0, buffer.length, record);
  return { ...record.toObject(), outcome, reason: record.reason };
}

test('explicit mapping: dotted paths, alternatives, units', () => {
  const format = 'json:ip=src.addr|client,url=req.path,time=ts,status=code,ua=req.agent,duration_ms=took';
  const record = parse(format, '{"ts":1772359200.25,"src":{"addr":"192.0.2.4:5555"},"req":{"path":"/p?a=1","agent":"x"},"code":"301","took":12}');
  assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
  assert.equal(record.ip, '192.0.2.4');
  assert.equal(record.url, '/p?a=1');
  assert.equal(record.time, 1772359200250);
  assert.equal(record.status, 301);
  assert.equal(record.userAgent, 'x');
  assert.equal(record.duration, 12);
  assert.equal(parse(format, '{"client":"192.0.2.5","req":{"path":"/"}}').ip, '192.0.2.5');
});

test('string escapes are decoded (quotes, unicode, surrogate pairs, slashes)', () => {
  const record = parse('json', '{"client_ip":"192.0.2.1","url":"\\/caf\\u00e9?q=\\"x\\"","user_agent":"A \\ud83d\\ude00 B\\tC","status":200}');
  assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
  assert.equal(record.url, '/café?q="x"');
  assert.equal(record.userAgent, 'A 😀 B\tC');
});

test('an escape is found wherever it sits in a value (words of four bytes and the tail), next to bytes that are not ASCII', () => {
  for (let offset = 0; offset < 12; offset++) {
    for (const escape of ['\\"', '\\\\', '\\/', '\\u00e9']) {
      const agent = 'é'.repeat(offset % 3) + 'a'.repeat(offset) + escape + 'Ü]' + 'z'.repeat(11 - offset);
      const line = `{"client_ip":"192.0.2.1","url":"/","user_agent":"${agent}","status":200}`;
      const expected = JSON.parse(line).user_agent as string;
      const record = parse('json', line);
      assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
      assert.equal(record.userAgent, expected, `offset ${offset}, escape ${escape}`);
    }
    // no escape, bytes near '\\' (0x5b, 0x5d, 0xdc, 0x1c, 0xdd): the value reads as its bytes
    const plain = Buffer.concat([Buffer.from('x'.repeat(offset) + '[]'), Buffer.from([0xdc, 0x1c, 0xdd, 0x5b]), Buffer.from('y'.repeat(offset))]);
    const line = Buffer.concat([Buffer.from('{"client_ip":"192.0.2.1","url":"/","user_agent":"'), plain, Buffer.from('","status":200}')]);
    assert.equal(parse('json', line).userAgent, plain.toString('utf8'), `offset ${offset}, no escape`);
  }
});

test('values that are null, arrays, nested objects under unmapped keys, numbers in strings', () => {
  const record = parse(
    'json',
    '{"skip":{"deep":[1,{"url":"/wrong"},"]}"]},"client_ip":"192.0.2.1","url":"/right","referrer":null,"status":"200","bytes":"-","x":[],"y":{}}',
  );
  assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
  assert.equal(record.url, '/right');
  assert.equal(record.referrer, '');
  assert.equal(record.status, 200);
  assert.equal(record.bytes, -1);
});

test('caddy: the first header value; client_ip over remote_ip; X-Forwarded-For with clientIpField', () => {
  const line =
    '{"ts":1772359200,"request":{"remote_ip":"10.0.0.9","client_ip":"10.0.0.9","method":"GET","uri":"/","proto":"HTTP/1.1","host":"a.example","headers":{"User-Agent":["first","second"],"X-Forwarded-For":["203.0.113.1, 10.0.0.9"]}},"status":200,"size":1}';
  assert.equal(parse('caddy', line).userAgent, 'first');
  assert.equal(parse('caddy', line).ip, '10.0.0.9');
  assert.equal(parse('caddy', line, { clientIpField: 'x-forwarded-for' }).ip, '203.0.113.1');
});

test('nginx-json: uri + args are joined; request wins when present; time_local and msec', () => {
  const joined = parse('nginx-json', '{"remote_addr":"192.0.2.1","msec":"1772359200.500","uri":"/s","args":"q=a+b","status":200}');
  assert.equal(joined.url, '/s?q=a+b');
  assert.equal(joined.time, 1772359200500);
  const request = parse('nginx-json', '{"remote_addr":"192.0.2.1","time_local":"01/Mar/2026:10:00:00 +0000","request":"DELETE /item/4 HTTP/1.1","status":204}');
  assert.equal(request.method, 'DELETE');
  assert.equal(request.url, '/item/4');
  assert.equal(request.time, Date.UTC(2026, 2, 1, 10));
});

test('traefik: ClientAddr with port when ClientHost is missing; nanosecond durations', () => {
  const record = parse('traefik', '{"ClientAddr":"[2001:db8::5]:40000","RequestMethod":"GET","RequestPath":"/x","DownstreamStatus":200,"Duration":1500000,"StartUTC":"2026-03-01T10:00:00.5Z"}');
  assert.equal(record.ip, '2001:db8::5');
  assert.equal(record.duration, 1.5);
  assert.equal(record.time, Date.UTC(2026, 2, 1, 10, 0, 0, 500));
});

test('JSON that is not an access entry, or broken, is a skip with a reason', () => {
  assert.equal(parse('caddy', '{"level":"info","msg":"serving initial configuration"}').reason, 'not an access log entry');
  assert.equal(parse('caddy', '{"level":"info","request":{"uri":"/x"').reason, 'truncated line');
  assert.equal(parse('caddy', 'plain text').reason, 'not a JSON object');
  const binary = parse('json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x00]));
  assert.equal(binary.outcome, ScanOutcome.Skip);
});

test('envoy: JSON and default text lines behind a container-runtime prefix', () => {
  const json = parse('envoy', '2026-03-01T10:00:00.000000000+00:00 stdout F {"downstream_remote_address":"192.0.2.8:1234","method":"GET","path":"/p","response_code":200,"start_time":"2026-03-01T10:00:00.000Z"}');
  assert.equal(json.outcome, ScanOutcome.Ok, json.reason);
  assert.equal(json.url, '/p');
  const text = parse('envoy', '2026-03-01T10:00:00.000000000+00:00 stderr F [2026-03-01T10:00:00.000Z] "GET /t HTTP/1.1" 404 NR 0 0 1 - "[2001:db8::9]" "curl/8" "id" "h.example" "-"');
  assert.equal(text.outcome, ScanOutcome.Ok, text.reason);
  assert.equal(text.ip, '2001:db8::9');
  assert.equal(text.status, 404);
});

test('a scanner that remembers the last line\'s keys reads every line as a fresh one does', () => {
  const lines = [
    '{"time_iso8601":"2026-03-02T00:00:00+00:00","remote_addr":"192.0.2.1","request":"GET /a HTTP/1.1","status":200,"body_bytes_sent":10,"http_referer":"","http_user_agent":"ua one"}',
    '{"time_iso8601":"2026-03-02T00:00:01+00:00","remote_addr":"192.0.2.2","request":"GET /b HTTP/1.1","status":404,"body_bytes_sent":0,"http_referer":"-","http_user_agent":"ua two"}',
    // the same keys in another order, and one more
    '{"remote_addr":"192.0.2.3","time_iso8601":"2026-03-02T00:00:02+00:00","request":"GET /c HTTP/1.1","status":200,"http_x_forwarded_for":"","body_bytes_sent":5,"http_user_agent":"ua three"}',
    // spaces around colons and commas, as some writers put them
    '{ "time_iso8601" : "2026-03-02T00:00:03+00:00" , "remote_addr" : "192.0.2.4" , "request" : "GET /d HTTP/1.1" , "status" : 200 }',
    // a key that starts like a known one, a key with an escape, fewer keys
    '{"time_iso8601x":"nope","time_iso8601":"2026-03-02T00:00:04+00:00","remote_\\u0061ddr":"192.0.2.5","request":"GET /e HTTP/1.1","status":200}',
    '{"time_iso8601":"2026-03-02T00:00:05+00:00","remote_addr":"192.0.2.6","request":"GET /f HTTP/1.1"}',
    // nested objects keep their own keys
    '{"time_iso8601":"2026-03-02T00:00:06+00:00","remote_addr":{"remote_addr":"x"},"request":"GET /g HTTP/1.1","status":200}',
    // back to the first layout
    '{"time_iso8601":"2026-03-02T00:00:07+00:00","remote_addr":"192.0.2.8","request":"GET /h HTTP/1.1","status":200,"body_bytes_sent":10,"http_referer":"","http_user_agent":"ua eight"}',
    'not json at all',
    '{"time_iso8601":"2026-03-02T00:00:08+00:00","remote_addr":"192.0.2.9","request":"GET /i HTTP/1.1","status":2',
  ];
  for (const format of ['nginx-json', 'json']) {
    const reused = resolveFormat(format).createScanner();
    const record = new ScanRecord();
    for (const line of lines) {
      const buffer = Buffer.from(line);
      const outcome = reused.scan(buffer, 0, buffer.length, record);
      const fresh = parse(format, line);
      assert.deepEqual({ ...record.toObject(), outcome, reason: record.reason }, fresh, `${format}: ${line}`);
    }
  }
});

test('a remembering JSON scanner reads mutated lines as a fresh one does (seeded fuzz)', () => {
  const next = random(777);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const alphabet = ['"', ':', ',', ' ', '{', '}', '[', ']', '\\', 'a', '_', '0'];
  const base = '{"time_iso8601":"2026-03-02T00:00:00+00:00","remote_addr":"192.0.2.1","request":"GET /a?b=c HTTP/1.1","status":200,"body_bytes_sent":10,"http_referer":"","http_user_agent":"ua"}';
  const scanner = resolveFormat('nginx-json').createScanner();
  const record = new ScanRecord();
  for (let round = 0; round < 3000; round++) {
    let text = base;
    // half the lines unchanged, so the remembered keys keep being used between mutated ones
    if (next() < 0.5) {
      const at = Math.floor(next() * (text.length + 1));
      const kind = next();
      if (kind < 0.4) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
      else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
    }
    const buffer = Buffer.from(text);
    const outcome = scanner.scan(buffer, 0, buffer.length, record);
    assert.deepEqual({ ...record.toObject(), outcome, reason: record.reason }, parse('nginx-json', text), text);
  }
});
