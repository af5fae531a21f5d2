/**
 * The follow engine (scan/follow.ts) on a simulated incident: fed in pieces (cut anywhere, mid
 * line included) it ends with the verdicts `scan` gives on the whole file; stopped mid-file
 * and restarted from its snapshot it reads no line twice and tells nothing twice.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { loadAttributor } from '../../src/attribute/index.js';
import { FollowSession, followSnapshotOf, scan, sourceKey, type FollowEvent, type FollowSnapshot } from '../../src/scan/index.js';

const root = join(import.meta.dirname, '..', '..');

describe('follow engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-follow-engine-'));
  const attributor = loadAttributor();
  let whole: Buffer;
  before(() => {
    const made = spawnSync(process.execPath, [join(root, 'bin', 'replaywatch.js'), 'simulate', '--out', join(dir, 'sim'), '--seed', '5', '--days', '4'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    whole = readFileSync(join(dir, 'sim', 'access.log'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Appends `whole` to `file` in `pieces` cuts at arbitrary bytes, polling after each; returns every event told. */
  function feed(session: FollowSession, file: string, from: number, to: number, pieces: number): FollowEvent[] {
    const events: FollowEvent[] = [];
    const step = Math.ceil((to - from) / pieces);
    for (let at = from; at < to; at += step) {
      appendFileSync(file, whole.subarray(at, Math.min(to, at + step + 17)).subarray(0, Math.min(to, at + step) - at));
      session.poll();
      events.push(...session.analyze().events);
    }
    return events;
  }

  it("ends with scan's verdicts on the whole file when fed piece by piece", async () => {
    const file = join(dir, 'fed.log');
    writeFileSync(file, '');
    const session = new FollowSession({ targets: [file], attributor });
    const events = feed(session, file, 0, whole.length, 40);
    const followed = session.report().model;
    session.close();
    const scanned = (await scan({ inputs: [join(dir, 'sim', 'access.log')], workers: 1, attributor })).model;
    assert.equal(followed.input.lines, scanned.input.lines);
    assert.equal(followed.input.records, scanned.input.records);
    assert.deepEqual(followed.sources, scanned.sources);
    assert.deepEqual(followed.probes, scanned.probes);
    assert.ok(scanned.sources.some((source) => source.kind === 'replayer'));
    // every shown source was told, each key once per verdict
    const told = events.filter((event) => event.type === 'source').map((event) => `${event.key}=${event.verdict}`);
    assert.equal(new Set(told).size, told.length, 'a source was told twice with the same verdict');
    for (const source of scanned.sources) assert.ok(told.includes(`${sourceKey(source)}=${source.pattern ? `${source.kind}/${source.pattern}` : source.kind}`), `${sourceKey(source)} was never told with its final verdict`);
  });

  it('restarted mid-file from its snapshot: no line read twice, nothing told twice, the same end', () => {
    const file = join(dir, 'restarted.log');
    writeFileSync(file, '');
    const half = Math.floor(whole.length * 0.45);
    const first = new FollowSession({ targets: [file], attributor });
    const before = feed(first, file, 0, half, 10);
    // the snapshot goes through the same serialization `follow --state` writes to disk
    const snapshot = deserialize(serialize(first.snapshot())) as FollowSnapshot;
    first.close();
    appendFileSync(file, whole.subarray(half, half + 1000)); // written while nobody followed
    const second = new FollowSession({ targets: [file], attributor, resume: snapshot });
    const afterRestart = feed(second, file, half + 1000, whole.length, 10);
    const restarted = second.report().model;
    second.close();

    const straight = new FollowSession({ targets: [join(dir, 'sim', 'access.log')], attributor });
    straight.poll();
    const once = straight.analyze().events;
    const model = straight.report().model;
    straight.close();

    assert.equal(restarted.input.lines, model.input.lines, 'a line was read twice or lost');
    assert.deepEqual(restarted.sources, model.sources);
    const keys = [...before, ...afterRestart].map((event) => `${event.key}=${event.type === 'source' ? event.verdict : 'probe'}`);
    assert.equal(new Set(keys).size, keys.length, 'an event was told again after the restart');
    // what one uninterrupted follow ends up telling was told by the two runs together
    const told = new Set(keys.map((key) => key.split('=')[0]));
    for (const event of once) assert.ok(told.has(event.key), `${event.key} was never told`);
  });

  it('resumes from a version 1 state (written before the strings were packed): no line twice, nothing told twice, the same end', () => {
    const fixture = join(root, 'test', 'fixtures', 'follow-v1');
    const log = gunzipSync(readFileSync(join(fixture, 'access.log.gz')));
    const old = deserialize(gunzipSync(readFileSync(join(fixture, 'state-v1.follow.gz')))) as { version: number; positions: { path: string; dev: number; ino: number; offset: number }[]; told: [string, string][] };
    assert.equal(old.version, 1);
    // the state's file, here: the bytes it had read, then the rest as written while nobody followed
    const file = join(dir, 'from-v1.log');
    const offset = old.positions[0]!.offset;
    writeFileSync(file, log.subarray(0, offset));
    const stat = statSync(file);
    Object.assign(old.positions[0]!, { path: file, dev: stat.dev, ino: stat.ino });
    appendFileSync(file, log.subarray(offset));

    const snapshot = followSnapshotOf(deserialize(serialize(old)));
    assert.equal(snapshot.version, 2);
    const resumed = new FollowSession({ targets: [file], attributor, resume: snapshot });
    resumed.poll();
    const events = resumed.analyze().events;
    const model = resumed.report().model;
    resumed.close();

    const whole = join(dir, 'v1-whole.log');
    writeFileSync(whole, log);
    const straight = new FollowSession({ targets: [whole], attributor });
    straight.poll();
    const once = straight.analyze().events;
    const expected = straight.report().model;
    straight.close();

    assert.equal(model.input.lines, expected.input.lines, 'a line was read twice or lost');
    assert.equal(model.input.lines, log.toString('utf8').trimEnd().split('\n').length);
    assert.deepEqual(model.sources, expected.sources);
    assert.deepEqual(model.probes, expected.probes);
    assert.ok(expected.sources.some((source) => source.kind === 'replayer') && expected.probes.length > 0, 'the fixture has a replayer and a probe');
    // what the version 1 run told is not told again; what one follow tells, the two runs told
    const toldBefore = new Set(old.told.flatMap(([key, verdicts]) => verdicts.split(',').map((verdict) => `${key}=${verdict}`)));
    assert.ok(toldBefore.size > 0);
    for (const event of events) assert.ok(!toldBefore.has(`${event.key}=${event.type === 'source' ? event.verdict : 'probe'}`), `${event.key} was told again`);
    const told = new Set([...toldBefore, ...events.map((event) => `${event.key}=${event.type === 'source' ? event.verdict : 'probe'}`)].map((key) => key.split('=')[0]));
    for (const event of once) assert.ok(told.has(event.key), `${event.key} was never told`);
  });

  it('refuses a follow state of an unknown version', () => {
    assert.throws(() => followSnapshotOf({ version: 3 }), /version 3/);
    assert.throws(() => followSnapshotOf(null), /not a follow state/);
  });
});
