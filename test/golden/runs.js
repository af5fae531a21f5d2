// The golden runs, shared by the test and scripts/update-golden.js (plain JS so both can load it).
const fixture = 'test/fixtures/golden/access.log';
const common = ['--offline', '--state', '/nonexistent/replaywatch-golden.duckdb'];
// the report key (redacted secrets, pseudonyms) is the fixture's, so the hashes are the same everywhere
export const goldenEnv = { NO_COLOR: '1', XDG_DATA_HOME: new URL('../fixtures/golden/data', import.meta.url).pathname };
export const goldenRuns = [
  { name: 'scan, terminal', args: ['scan', fixture, ...common], expected: 'scan.txt', exit: 1 },
  { name: 'scan --json', args: ['scan', fixture, '--json', ...common], expected: 'scan.json', exit: 1 },
  { name: 'explain one replayer', args: ['explain', '150.70.97.43', fixture, ...common], expected: 'explain.txt', exit: 0 },
  { name: 'scan --anonymize', args: ['scan', fixture, '--anonymize', ...common], expected: 'scan-anonymized.txt', exit: 1 },
  { name: 'explain --anonymize', args: ['explain', '150.70.97.43', fixture, '--anonymize', ...common], expected: 'explain-anonymized.txt', exit: 0 },
  // blocklists from the golden report, one per writer; SOURCE_DATE_EPOCH fixes the time in headers
  ...['nginx', 'nginx-geo', 'apache', 'nftables', 'ipset', 'haproxy', 'crowdsec', 'json', 'csv', 'cidr'].map((target) => ({
    name: `block --to ${target}`,
    args: ['block', '--from', 'test/expected/scan.json', '--to', target, '--kind', 'replayer,prefetcher,probe', '--add', '2001:db8:1::/48'],
    expected: `block/${target}.txt`,
    exit: 0,
    env: { SOURCE_DATE_EPOCH: '1767225600' },
  })),
];
