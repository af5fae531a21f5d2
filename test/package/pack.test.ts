/**
 * The clean-machine check: `npm pack`, then `npm install -g` of the tarball into a temporary
 * prefix with npm offline and its registry pointed at a closed loopback port (so nothing can
 * come from the network: the tarball carries its dependencies), then the installed command
 * simulates and scans a log, `man replaywatch` shows the page, a canary store opens, and
 * `import { scan } from 'replaywatch'` works from another project.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const haveMan = existsSync('/usr/bin/man');
if (!haveMan && process.env.CI === 'true') throw new Error('/usr/bin/man is missing: CI must install man-db (scripts/test.sh does) for the installed man page check');

function run(command: string, args: string[], options: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('the npm package, installed offline on a clean prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-pack-'));
  const prefix = join(dir, 'prefix');
  const home = join(dir, 'home');
  // the installed command's world: no clone, no repository state, only the prefix's bin first on PATH
  const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, HOME: home, XDG_DATA_HOME: join(home, 'data'), NO_COLOR: '1' };
  let tarball = '';
  let files: string[] = [];

  before(() => {
    mkdirSync(home, { recursive: true });
    for (const built of ['dist/cli/main.js', 'dist/index.d.ts', 'man/replaywatch.1', 'data/generated/ip-table.bin', 'data/generated/catalogue.bin'])
      assert.ok(existsSync(join(root, built)), `${built} is missing: npm ci (prepare) or npm run build makes it`);
    // the build already ran (scripts/test.sh): pack what it made
    const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root });
    assert.equal(packed.status, 0, packed.stderr);
    const [entry] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, entry!.filename);
    files = entry!.files.map((file) => file.path);
    const installed = run('npm', ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, tarball], {
      cwd: dir,
      env: { ...env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_update_notifier: 'false' },
    });
    assert.equal(installed.status, 0, `npm install -g of the tarball failed offline: ${installed.stderr}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('packs the compiled tables, the man page, the licence and the type declarations, and no sources or CSV data', () => {
    for (const wanted of ['LICENSE', 'README.md', 'bin/replaywatch.js', 'dist/index.js', 'dist/index.d.ts', 'dist/scan/worker.js', 'dist/store/duckdb-api.cjs', 'data/generated/ip-table.bin', 'data/generated/catalogue.bin', 'man/replaywatch.1'])
      assert.ok(files.includes(wanted), `${wanted} is not in the tarball`);
    assert.ok(!files.some((file) => file.startsWith('src/') || file.startsWith('test/') || file.endsWith('.map')), 'sources, tests or source maps in the tarball');
    const modules = readdirSync(join(prefix, 'lib', 'node_modules', 'replaywatch', 'node_modules'));
    assert.ok(!modules.includes('@ip-location-db'), 'the CSV data packages were installed: they are dev-only');
    assert.ok(modules.includes('commander') && modules.includes('@duckdb'));
  });

  it('runs: --version, simulate, scan of the simulated log finds the replayers', () => {
    const where = run('sh', ['-c', 'command -v replaywatch'], { env });
    assert.equal(where.stdout.trim(), join(prefix, 'bin', 'replaywatch'));
    assert.equal(run('replaywatch', ['--version'], { env, cwd: home }).stdout.trim(), version);
    const simulated = run('replaywatch', ['simulate', '--out', join(dir, 'sim'), '--seed', '4'], { env, cwd: home });
    assert.equal(simulated.status, 0, simulated.stderr);
    const scanned = run('replaywatch', ['scan', join(dir, 'sim', 'access.log'), '--offline', '--json', '--no-progress'], { env, cwd: home });
    assert.equal(scanned.status, 1, `scan exits 1 when it finds a replayer: ${scanned.stderr}`);
    const report = JSON.parse(scanned.stdout) as { sources: { kind: string; network: { asn: number | null } }[] };
    assert.ok(report.sources.some((source) => source.kind === 'replayer' && source.network.asn !== null), 'a replayer, attributed by the shipped IP table');
  });

  it('opens a canary store with the bundled DuckDB', () => {
    const made = run('replaywatch', ['canary', 'new', '--label', 'installed', '--state', join(dir, 'state.duckdb'), '--json'], { env, cwd: home });
    assert.equal(made.status, 0, made.stderr);
    assert.match((JSON.parse(made.stdout) as { url: string }).url, /\/notes\//);
  });

  it('man replaywatch shows the page', { skip: haveMan ? false : 'skipped: /usr/bin/man not installed (apt-get install man-db)' }, () => {
    assert.ok(existsSync(join(prefix, 'share', 'man', 'man1', 'replaywatch.1')), 'npm did not link the man page');
    const page = run('man', ['replaywatch'], { env: { ...env, MANPAGER: 'cat', MANWIDTH: '100' }, cwd: home });
    assert.equal(page.status, 0, page.stderr);
    assert.match(page.stdout, /REPLAYWATCH\(1\)/);
    assert.match(page.stdout, /replaywatch scan \[options\] \[inputs\.\.\.\]/);
  });

  it("imports { scan } from 'replaywatch' in another project", () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'node_modules'), { recursive: true });
    symlinkSync(join(prefix, 'lib', 'node_modules', 'replaywatch'), join(project, 'node_modules', 'replaywatch'));
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(project, 'main.js'),
      `import { scan } from 'replaywatch';\nconst { model } = await scan({ inputs: [${JSON.stringify(join(dir, 'sim', 'access.log'))}], workers: 1 });\nconsole.log(model.sources.length);\n`,
    );
    const result = run(process.execPath, ['main.js'], { cwd: project, env });
    assert.equal(result.status, 0, result.stderr);
    assert.ok(Number(result.stdout.trim()) > 0);
  });
});
