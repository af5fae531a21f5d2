// block --to crowdsec against Debian's CrowdSec: the test starts a local API on loopback with
// its own configuration, database and machine credentials in a temporary directory (no Central
// API), imports the file with `cscli decisions import`, and `cscli decisions list` shows them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../support/net.js';
import { block, requireBinary, startDaemon, tempDir, waitUntil, writeReport, type Daemon } from './support.js';

const skip = requireBinary('/usr/bin/cscli', 'crowdsec', 'the CrowdSec blocklist test') || requireBinary('/usr/bin/crowdsec', 'crowdsec', 'the CrowdSec blocklist test');

interface Alert {
  decisions: { value: string; scope: string; scenario: string; type: string; duration: string; origin: string }[] | null;
}

describe('block --to crowdsec with a real CrowdSec local API', { skip }, () => {
  const dir = tempDir('block-crowdsec');
  const config = join(dir.path, 'config.yaml');
  const decisions = join(dir.path, 'decisions.json');
  let crowdsec: Daemon;
  let port: number;
  const cscli = (...args: string[]) => {
    const result = spawnSync('cscli', ['-c', config, '--color', 'no', ...args], { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`cscli ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    port = await freeLoopbackPort();
    for (const sub of ['data', 'hub', 'notifications']) mkdirSync(join(dir.path, sub));
    writeFileSync(join(dir.path, 'hub', '.index.json'), '{}');
    writeFileSync(join(dir.path, 'simulation.yaml'), 'simulation: false\n');
    writeFileSync(join(dir.path, 'acquis.yaml'), '');
    writeFileSync(join(dir.path, 'profiles.yaml'), 'name: default_ip_remediation\nfilters:\n - Alert.Remediation == true && Alert.GetScope() == "Ip"\ndecisions:\n - type: ban\n   duration: 4h\non_success: break\n');
    writeFileSync(
      config,
      `common:
  daemonize: false
  log_media: stdout
  log_level: info
  working_dir: ${dir.path}
config_paths:
  config_dir: ${dir.path}/
  data_dir: ${dir.path}/data/
  simulation_path: ${dir.path}/simulation.yaml
  hub_dir: ${dir.path}/hub/
  index_path: ${dir.path}/hub/.index.json
  notification_dir: ${dir.path}/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: ${dir.path}/acquis.yaml
cscli:
  output: human
db_config:
  type: sqlite
  db_path: ${dir.path}/data/crowdsec.db
  use_wal: false
api:
  client:
    credentials_path: ${dir.path}/local_api_credentials.yaml
  server:
    listen_uri: 127.0.0.1:${port}
    profiles_path: ${dir.path}/profiles.yaml
    trusted_ips:
      - 127.0.0.1
prometheus:
  enabled: false
`,
    );
    // the machine cscli logs in as, written into the test's own database and credentials file
    cscli('machines', 'add', 'replaywatch-test', '--password', 'replaywatch-test-password', '-f', join(dir.path, 'local_api_credentials.yaml'), '--url', `http://127.0.0.1:${port}`);
    crowdsec = startDaemon('crowdsec', ['-c', config, '-no-cs']); // -no-cs: the local API only, no log acquisition
    await waitUntil(async () => {
      if (!/Local API listening/.test(crowdsec.output())) throw new Error('not yet');
    }, crowdsec, 'crowdsec');
    await block(['--from', writeReport(dir.path), '--to', 'crowdsec', '--force', '--kind', 'replayer,probe', '--duration', '72h', '-o', decisions]);
  });

  after(async () => {
    await crowdsec?.stop();
    dir.remove();
  });

  it('cscli decisions import accepts the file and decisions list shows every entry with its reason and duration', () => {
    const imported = spawnSync('cscli', ['-c', config, '--color', 'no', 'decisions', 'import', '-i', decisions, '--scope', 'range'], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stdout + imported.stderr);
    assert.match(imported.stdout + imported.stderr, /3 decisions successfully imported/);
    const alerts = JSON.parse(cscli('decisions', 'list', '--origin', 'cscli-import', '-o', 'json')) as Alert[];
    const listed = alerts.flatMap((alert) => alert.decisions ?? []).sort((a, b) => a.value.localeCompare(b.value));
    assert.deepEqual(
      listed.map((decision) => [decision.value, decision.scope, decision.type]),
      [
        ['127.0.0.2/31', 'range', 'ban'],
        ['127.0.0.7/32', 'range', 'ban'],
        ['2001:db8:5:6::/64', 'range', 'ban'],
      ],
    );
    // the source's name is the scenario, escaped: no line break reaches CrowdSec's tables and logs
    assert.match(listed[0]!.scenario, /^replaywatch: replayer Replay Cloud\\x0aallow all;/);
    assert.equal(listed[1]!.scenario, 'replaywatch: probe Prober');
    for (const decision of listed) assert.match(decision.duration, /^7[01]h/);
  });

  it('a bouncer asking the local API about an address inside a range is told to ban it', async () => {
    // what a CrowdSec bouncer (nginx, firewall) does: GET /v1/decisions?ip= with its API key
    const key = 'replaywatchtestbouncerkey0123456789';
    cscli('bouncers', 'add', 'replaywatch-test-bouncer', '-k', key);
    const ask = async (ip: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/v1/decisions?ip=${ip}`, { headers: { 'X-Api-Key': key } });
      assert.equal(response.status, 200);
      return ((await response.json()) as { value: string; type: string }[] | null) ?? [];
    };
    assert.deepEqual((await ask('127.0.0.3')).map((decision) => [decision.value, decision.type]), [['127.0.0.2/31', 'ban']]);
    assert.deepEqual(await ask('127.0.0.4'), []);
  });
});
