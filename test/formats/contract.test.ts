/**
 * Every preset, every alias and the string compilers run the same contract. The cases are
 * each preset's own samples (with their expected fields), so adding a preset adds its tests.
 */
import { PRESETS, resolveFormat } from '../../src/formats/index.js';
import { type ContractCase, runFormatContract } from './format-contract.js';

for (const preset of Object.values(PRESETS)) {
  const headers = preset.samples.filter((sample) => sample.line.startsWith('#')).map((sample) => sample.line);
  const cases: ContractCase[] = preset.samples.filter((sample) => !sample.line.startsWith('#'));
  runFormatContract(preset, cases, headers);
}

runFormatContract(resolveFormat('%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D'), [
  {
    line: '192.0.2.1 - - [01/Mar/2026:12:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 10 "-" "Agent \\"quoted\\" 1.0" 1500',
    expect: { ip: '192.0.2.1', url: '/a?b=1', userAgent: 'Agent \\"quoted\\" 1.0', duration: 1.5 },
  },
]);

runFormatContract(resolveFormat('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time'), [
  {
    line: '192.0.2.2 - alice [01/Mar/2026:12:00:00 +0100] "POST /form HTTP/2.0" 201 0 "https://example.com/" "Mozilla/5.0" 0.250',
    expect: { ip: '192.0.2.2', user: 'alice', time: Date.UTC(2026, 2, 1, 11), status: 201, bytes: 0, duration: 250 },
  },
]);

runFormatContract(resolveFormat('json:ip=client,url=path,time=ts,status=code'), [
  { line: '{"client":"192.0.2.3","path":"/x","ts":"2026-03-01T00:00:00Z","code":404}', expect: { ip: '192.0.2.3', url: '/x', status: 404, time: Date.UTC(2026, 2, 1) } },
]);
