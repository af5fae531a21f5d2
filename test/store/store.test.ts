import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ReplaywatchError } from '../../src/common/errors.js';
import {
  AppendJournal,
  acquireWriterLock,
  defaultStatePath,
  insertCanary,
  insertHits,
  latestSchemaVersion,
  listCanaries,
  migrations,
  purgeBefore,
  readCanaryState,
  readJournal,
  stateFiles,
  withStore,
  type CanaryHitRecord,
} from '../../src/store/index.js';

const root = mkdtempSync(join(tmpdir(), 'replaywatch-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(root, `s${++counter}`, 'state.duckdb');

const hit = (id: string, token: string, time: number, ip = '192.0.2.1'): CanaryHitRecord => ({
  id, token, time, ip, peer: ip, method: 'GET', url: `/notes/${token}`, userAgent: 'ua', referer: null, acceptLanguage: null, via: null, xForwardedFor: null, source: 'listener',
});

async function versions(path: string, list = migrations): Promise<number[]> {
  return withStore(path, { readOnly: true, migrations: list }, async (session) => (await session.all('SELECT version FROM schema_version ORDER BY version')).map((row) => Number(row.version)));
}

describe('store', () => {
  it('lives in the XDG data directory by default', () => {
    assert.equal(defaultStatePath({ XDG_DATA_HOME: '/x/data', HOME: '/home/u' }), '/x/data/replaywatch/state.duckdb');
    assert.equal(defaultStatePath({ HOME: '/home/u' }), '/home/u/.local/share/replaywatch/state.duckdb');
  });

  it('migrates an empty file to the latest schema, in order, once', async () => {
    const path = freshPath();
    await withStore(path, {}, async (session) => {
      const tables = (await session.all("SELECT table_name FROM information_schema.tables ORDER BY table_name")).map((row) => row.table_name);
      assert.deepEqual(tables, ['canary', 'canary_hit', 'schema_version']);
    });
    assert.deepEqual(await versions(path), migrations.map((migration) => migration.version));
    assert.equal(latestSchemaVersion, migrations[migrations.length - 1]!.version);
  });

  it('keeps its data across reopening and does not migrate twice', async () => {
    const path = freshPath();
    await withStore(path, {}, (session) => insertCanary(session, { token: 't1', label: 'one', url: 'http://x/notes/t1', created: 1000, revoked: null }));
    await withStore(path, {}, async () => undefined);
    const canaries = await withStore(path, { readOnly: true }, listCanaries);
    assert.deepEqual(canaries, [{ token: 't1', label: 'one', url: 'http://x/notes/t1', created: 1000, revoked: null }]);
    assert.deepEqual(await versions(path), [1]);
  });

  it('applies a later migration to an older file, also when a reader opens it first', async () => {
    const path = freshPath();
    await withStore(path, {}, async () => undefined);
    const next = [...migrations, { version: 2, description: 'test: scan state', statements: ['CREATE TABLE scan_state (k VARCHAR PRIMARY KEY, v VARCHAR)'] }];
    await withStore(path, { readOnly: true, migrations: next }, async (session) => {
      assert.deepEqual(await session.all('SELECT count(*)::INTEGER AS n FROM scan_state'), [{ n: 0 }]);
    });
    assert.deepEqual(await versions(path, next), [1, 2]);
  });

  it('refuses a file written by a newer replaywatch', async () => {
    const path = freshPath();
    await withStore(path, { migrations: [...migrations, { version: 7, description: 'from the future', statements: [] }] }, async () => undefined);
    await assert.rejects(
      withStore(path, {}, async () => undefined),
      (error: unknown) => error instanceof ReplaywatchError && error.code === 'E_STATE_SCHEMA' && /schema version 7, newer than this replaywatch understands \(1\)/.test(error.message),
    );
    await assert.rejects(withStore(path, { readOnly: true }, async () => undefined), (error: unknown) => error instanceof ReplaywatchError && error.code === 'E_STATE_SCHEMA');
  });

  it('names the process that holds the file when another process keeps it open', async () => {
    const path = freshPath();
    await withStore(path, {}, async () => undefined);
    const holder = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support/hold-store.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((ready, fail) => {
        holder.stdout!.on('data', (chunk) => String(chunk).includes('holding') && ready());
        holder.on('exit', (code) => fail(new Error(`holder exited ${code}`)));
      });
      const started = Date.now();
      await assert.rejects(withStore(path, { readOnly: true, busyTimeoutMs: 400 }, async () => undefined), (error: unknown) => {
        assert.ok(error instanceof ReplaywatchError);
        assert.equal(error.code, 'E_STATE_LOCKED');
        assert.match(error.message, new RegExp(`in use by process ${holder.pid}`));
        assert.match(error.hint ?? '', new RegExp(`kill ${holder.pid}`));
        return true;
      });
      assert.ok(Date.now() - started >= 400, 'it waited for the holder first');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('allows one long-lived writer, names it, and takes over a stale lock', () => {
    const files = stateFiles(freshPath());
    const lockPath = join(root, 'writer.pid');
    const lock = acquireWriterLock(lockPath, 'the canary listener', files.database);
    assert.throws(
      () => acquireWriterLock(lockPath, 'the canary listener', files.database),
      (error: unknown) => error instanceof ReplaywatchError && error.code === 'E_STATE_LOCKED' && error.message.includes(`the canary listener (pid ${process.pid})`),
    );
    lock.release();
    writeFileSync(lockPath, '999999999\nthe canary listener\n'); // a pid that cannot exist
    acquireWriterLock(lockPath, 'the canary listener', files.database).release();
    assert.ok(!existsSync(lockPath));
  });

  it('inserts hits idempotently and purges by age', async () => {
    const path = freshPath();
    await withStore(path, {}, async (session) => {
      await insertCanary(session, { token: 'a', label: 'a', url: 'u', created: 0, revoked: null });
      await insertCanary(session, { token: 'b', label: 'b', url: 'u', created: 0, revoked: 50 });
      assert.equal(await insertHits(session, [hit('1', 'a', 10), hit('2', 'a', 200), hit('3', 'b', 300)]), 3);
      assert.equal(await insertHits(session, [hit('1', 'a', 10), hit('4', 'a', 400)]), 1);
      assert.deepEqual(await purgeBefore(session, 100), { hits: 2, canaries: 1 });
      assert.deepEqual((await session.all('SELECT id FROM canary_hit ORDER BY id')).map((row) => row.id), ['2', '4']);
    });
  });
});

describe('journal', () => {
  it('skips a torn last line and fences it off before the next record', () => {
    const path = join(root, 'torn.jsonl');
    const journal = new AppendJournal(path);
    journal.append({ n: 1 });
    journal.close();
    appendFileSync(path, '{"n": 2, "tor'); // a crash in the middle of a write
    const reopened = new AppendJournal(path);
    reopened.append({ n: 3 });
    reopened.close();
    const read = readJournal(path, (value) => value as { n: number });
    assert.deepEqual(read.records.map((record) => record.n), [1, 3]);
    assert.equal(read.skipped, 1);
    assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
  });

  it('readers see every hit exactly once, wherever it is: live journal, importing segment, database', async () => {
    const path = freshPath();
    const files = stateFiles(path);
    await withStore(path, {}, async (session) => {
      await insertCanary(session, { token: 'a', label: 'a', url: 'u', created: 0, revoked: null });
      await insertHits(session, [hit('1', 'a', 10), hit('2', 'a', 20)]);
    });
    const importing = new AppendJournal(files.hitJournalImporting);
    importing.append(hit('2', 'a', 20)); // committed and not yet deleted
    importing.append(hit('3', 'a', 30));
    importing.close();
    const live = new AppendJournal(files.hitJournal);
    live.append(hit('4', 'a', 40));
    live.close();
    const { hits } = await readCanaryState(path);
    assert.deepEqual(hits.map((record) => record.id), ['1', '2', '3', '4']);
  });
});
