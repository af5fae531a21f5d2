// The golden runs, shared by the test and scripts/update-golden.js (plain JS so both can load it).
const fixture = 'test/fixtures/golden/access.log';
const common = ['--offline', '--state', '/nonexistent/replaywatch-golden.duckdb'];
export const goldenRuns = [
  { name: 'scan, terminal', args: ['scan', fixture, ...common], expected: 'scan.txt', exit: 1 },
  { name: 'scan --json', args: ['scan', fixture, '--json', ...common], expected: 'scan.json', exit: 1 },
  { name: 'explain one replayer', args: ['explain', '150.70.97.43', fixture, ...common], expected: 'explain.txt', exit: 0 },
];
