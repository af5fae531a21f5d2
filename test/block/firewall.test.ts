// block --to nftables and --to ipset against the real tools, inside a network namespace the test
// creates (`unshare -n`: its own loopback and firewall, nothing of the machine's is touched).
// nft -f loads the table (twice: reloading replaces it), nft list set shows the elements,
// ipset restore loads the sets, and a server on the namespace's loopback is reset for a
// blocked address while others get their page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { block, requireBinary, tempDir, writeReport } from './support.js';

const skip =
  requireBinary('/usr/sbin/nft', 'nftables', 'the nftables blocklist test') ||
  requireBinary('/usr/sbin/ipset', 'ipset', 'the ipset blocklist test') ||
  requireBinary('/usr/bin/unshare', 'util-linux', 'the firewall tests (network namespace)') ||
  requireBinary('/usr/sbin/ip', 'iproute2', 'the firewall tests (loopback in the namespace)') ||
  requireBinary('/usr/bin/curl', 'curl', 'the firewall tests (HTTP client bound to a blocked address)');

const script = `
set -u
ip link set lo up
nft -f "$NFT" && nft -f "$NFT" || { echo "nft failed"; exit 10; }
echo '--- nft ipv4'; nft list set inet replaywatch blocked_ipv4
echo '--- nft ipv6'; nft list set inet replaywatch blocked_ipv6
ipset restore < "$IPSET" || { echo "ipset failed"; exit 11; }
echo '--- ipset'; ipset list replaywatch-ipv4; ipset list replaywatch-ipv6
"$NODE" -e "require('http').createServer((q, s) => s.end('page')).listen(80, '127.0.0.1')" & server=$!
for i in $(seq 100); do curl -s -o /dev/null --interface 127.0.0.9 http://127.0.0.1/ && break; sleep 0.1; done
echo "--- allowed $(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.9 http://127.0.0.1/)"
curl -s -o /dev/null --interface 127.0.0.2 http://127.0.0.1/; echo "--- blocked exit $?"
curl -s -o /dev/null --interface 127.0.0.3 http://127.0.0.1/; echo "--- blocked exit $?"
kill $server
`;

describe('block --to nftables and --to ipset in a network namespace', { skip }, () => {
  const dir = tempDir('block-firewall');
  let output = '';

  before(async () => {
    const report = writeReport(dir.path);
    await block(['--from', report, '--to', 'nftables', '--force', '-o', join(dir.path, 'replaywatch.nft')]);
    await block(['--from', report, '--to', 'ipset', '--force', '-o', join(dir.path, 'replaywatch.ipset')]);
    const run = spawnSync('unshare', ['-n', 'bash', '-c', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NFT: join(dir.path, 'replaywatch.nft'), IPSET: join(dir.path, 'replaywatch.ipset'), NODE: process.execPath },
    });
    output = run.stdout + run.stderr;
    if (run.status !== 0) throw new Error(`the namespace script exited ${run.status}: ${output}`);
  });

  after(() => dir.remove());

  it('nft -f loads the sets, and nft list set shows the elements', () => {
    const ipv4 = output.slice(output.indexOf('--- nft ipv4'), output.indexOf('--- nft ipv6'));
    const ipv6 = output.slice(output.indexOf('--- nft ipv6'), output.indexOf('--- ipset'));
    assert.match(ipv4, /elements = \{ 127\.0\.0\.2\/31 \}/, output);
    assert.match(ipv6, /elements = \{ 2001:db8:5:6::\/64 \}/, output);
  });

  it('ipset restore loads the same networks', () => {
    const ipset = output.slice(output.indexOf('--- ipset'), output.indexOf('--- allowed'));
    assert.match(ipset, /Name: replaywatch-ipv4[\s\S]*Members:\n127\.0\.0\.2\/31\n/, output);
    assert.match(ipset, /Name: replaywatch-ipv6[\s\S]*Members:\n2001:db8:5:6::\/64\n/, output);
  });

  it('the loaded rule resets the blocked addresses and lets others through', () => {
    assert.match(output, /--- allowed 200/, output);
    const blocked = [...output.matchAll(/--- blocked exit (\d+)/g)].map((match) => Number(match[1]));
    assert.equal(blocked.length, 2, output);
    for (const code of blocked) assert.ok(code === 7 || code === 56, `curl from a blocked address exited ${code} (7: refused, 56: reset): ${output}`);
  });
});
