/**
 * What to read, in what order: arguments -> files. Directories give the log files inside
 * them (not recursively), '-' is stdin, gzip is recognised by its magic bytes. Rotated sets
 * are read oldest first; unrelated files by their first timestamp (sniffed from the first
 * lines), else by name.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ReplaywatchError } from '../common/errors.js';

export interface InputFile {
  /** file path, or '-' for stdin */
  path: string;
  /** bytes on disk (compressed size for gzip); -1 for stdin */
  size: number;
  /** gzip data (magic bytes 1f 8b), whatever the name says (for a stream, sniffed as it is read) */
  gzip: boolean;
  /** a named pipe, process substitution (`<(zcat a.gz)`) or device: read once, front to back, like stdin */
  stream?: boolean;
}

/** A directory entry that was not read, and why (the report names them). */
export interface LeftOut {
  path: string;
  reason: string;
}

export interface ExpandOptions {
  /**
   * Whether a directory entry's first bytes (decompressed) are an access log: null when they
   * are, else why not. The formats stage answers (ingest knows no formats); without it, every
   * readable text file of a directory is read.
   */
  judgeHead?: (head: Buffer, path: string) => string | null;
  /** hears every directory entry left out, with the reason */
  onLeftOut?: (leftOut: LeftOut) => void;
}

export function describeInput(path: string): string {
  return path === '-' ? 'standard input' : path;
}

/** E_INPUT_UNREADABLE naming the file and the operating system's reason. */
export function unreadable(path: string, cause: unknown): ReplaywatchError {
  const code = (cause as { code?: string }).code;
  const reason =
    code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory'
    : cause instanceof Error ? cause.message : String(cause);
  return new ReplaywatchError('E_INPUT_UNREADABLE', `cannot read ${describeInput(path)}: ${reason}`, {
    cause,
    hint:
      code === 'EACCES' || code === 'EPERM' ? 'run as a user that can read the logs (e.g. in the adm group)'
      : code === 'ENOENT' || code === 'ENOTDIR' ? 'check the path'
      : code === 'EISDIR' ? 'name the directory itself, or the files in it'
      : undefined,
  });
}

/** Names of error logs (`error.log`, `error_log`, `site-error.log.1`, `php7.4-fpm.error.log`). */
const ERROR_LOG = /(^|[._-])errors?([._-]|$)|^error_log/i;

/** Names in a log directory that are never access logs. */
const NOT_LOG = /\.(pid|lock|sock|swp|swx|tmp|conf|ini|ya?ml|toml|sh|py|js|ts|md|html?|css|png|jpe?g|gif|svg|ico|zip|bz2|xz|zst|lz4|7z|tar|tgz|db|sqlite|journal)$|^\.|~$/i;

const HEAD_BYTES = 64 << 10;

/** The first bytes of a file (decompressed when gzip), for gzip/binary checks and timestamp sniffing. */
async function readHead(path: string): Promise<{ gzip: boolean; head: Buffer; size: number }> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.allocUnsafe(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const raw = buffer.subarray(0, bytesRead);
    const gzip = bytesRead >= 2 && raw[0] === 0x1f && raw[1] === 0x8b;
    if (!gzip) return { gzip, head: raw, size };
    let head: Buffer;
    try {
      // a truncated gzip stream decompresses as far as it goes with finishFlush
      head = gunzipSync(raw, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    } catch {
      head = Buffer.alloc(0);
    }
    return { gzip, head, size };
  } finally {
    await handle.close();
  }
}

function looksBinary(head: Buffer): boolean {
  const limit = Math.min(head.length, 4096);
  for (let i = 0; i < limit; i++) if (head[i] === 0) return true;
  return false;
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

/**
 * The first timestamp in the first lines, NaN if none: CLF `[10/Oct/2000:13:55:36 -0700]`,
 * ISO 8601 / W3C `2026-03-01[T ]12:00:00`, or a JSON epoch `"ts":1693840791.75`. Used only to
 * order files, so a regular expression over a few lines is fine here.
 */
export function sniffFirstTime(head: Buffer): number {
  const text = head.toString('latin1', 0, Math.min(head.length, 16 << 10));
  for (const line of text.split('\n').slice(0, 20)) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const clf = /\[(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?: ([+-])(\d{2})(\d{2}))?\]/.exec(line);
    if (clf !== null) {
      const month = MONTHS[clf[2].toLowerCase()];
      if (month !== undefined) {
        const offset = clf[7] === undefined ? 0 : (clf[7] === '+' ? 1 : -1) * (Number(clf[8]) * 60 + Number(clf[9])) * 60_000;
        return Date.UTC(Number(clf[3]), month, Number(clf[1]), Number(clf[4]), Number(clf[5]), Number(clf[6])) - offset;
      }
    }
    const iso = /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?/.exec(line);
    if (iso !== null) {
      let offset = 0;
      const zone = iso[7];
      if (zone !== undefined && zone !== 'Z') offset = (zone[0] === '+' ? 1 : -1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2))) * 60_000;
      return Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]), Number(iso[4]), Number(iso[5]), Number(iso[6])) - offset;
    }
    const epoch = /"(?:ts|time|timestamp|msec)"\s*:\s*(\d{9,10})(?:\.(\d+))?/.exec(line);
    if (epoch !== null) return Number(epoch[1]) * 1000;
    return Number.NaN;
  }
  return Number.NaN;
}

/**
 * How a name sits in a rotated set: `access.log` (live), `access.log.1`, `access.log.2.gz`
 * (numbered: higher is older), `access.log-20260301[.gz]`, `access.log.2026-03-01` (dated).
 */
export function rotationKey(name: string): { base: string; kind: 'live' | 'numbered' | 'dated'; order: number } {
  const plain = name.replace(/\.gz$/i, '');
  const numbered = /^(.*)\.(\d{1,4})$/.exec(plain);
  if (numbered !== null) return { base: numbered[1], kind: 'numbered', order: Number(numbered[2]) };
  const dated = /^(.*?)[-._](\d{4})-?(\d{2})-?(\d{2})(?:-?(\d{2}))?$/.exec(plain);
  if (dated !== null) return { base: dated[1], kind: 'dated', order: Number(`${dated[2]}${dated[3]}${dated[4]}${dated[5] ?? '00'}`) };
  return { base: plain, kind: 'live', order: 0 };
}

/** Oldest first within a rotated set: dated by date, then numbered from the highest, then the live file. */
function compareRotation(a: string, b: string): number {
  const left = rotationKey(basename(a));
  const right = rotationKey(basename(b));
  const rank = { dated: 0, numbered: 1, live: 2 };
  if (left.kind !== right.kind) return rank[left.kind] - rank[right.kind];
  if (left.kind === 'dated') return left.order - right.order;
  if (left.kind === 'numbered') return right.order - left.order;
  return a.localeCompare(b);
}

interface Candidate {
  file: InputFile;
  head: Buffer;
}

async function inspect(path: string): Promise<Candidate> {
  try {
    const { gzip, head, size } = await readHead(path);
    return { file: { path, size, gzip }, head };
  } catch (error) {
    throw unreadable(path, error);
  }
}

/**
 * Arguments (files, directories, '-') -> the files to read, in reading order. Throws
 * E_INPUT_UNREADABLE for a missing or unreadable file, or a directory with no logs in it.
 */
export async function expandInputs(args: string[], options: ExpandOptions = {}): Promise<InputFile[]> {
  const candidates: Candidate[] = [];
  const streams: InputFile[] = [];
  let stdin: InputFile | null = null;
  const seen = new Set<string>();
  for (const arg of args) {
    if (arg === '-') {
      stdin = { path: '-', size: -1, gzip: false };
      continue;
    }
    let info;
    try {
      info = await stat(arg);
    } catch (error) {
      throw unreadable(arg, error);
    }
    if (info.isFIFO() || info.isCharacterDevice() || info.isSocket()) {
      // a pipe cannot be sniffed without consuming it: read as a stream, in argument order after the files
      if (!seen.has(arg)) streams.push({ path: arg, size: -1, gzip: false, stream: true });
      seen.add(arg);
      continue;
    }
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(arg);
      } catch (error) {
        throw unreadable(arg, error);
      }
      const found: Candidate[] = [];
      const leftOut: LeftOut[] = [];
      for (const name of names.sort()) {
        const path = join(arg, name);
        const reason = await leftOutReason(path, name, options, found);
        if (reason !== null) leftOut.push({ path, reason });
      }
      for (const entry of leftOut) options.onLeftOut?.(entry);
      if (found.length === 0) {
        const why = leftOut.slice(0, 5).map((entry) => `${basename(entry.path)}: ${entry.reason}`).join('; ');
        throw new ReplaywatchError('E_INPUT_UNREADABLE', `cannot read ${arg}: the directory holds no access logs${why ? ` (${why}${leftOut.length > 5 ? '; …' : ''})` : ''}`, {
          hint: 'name the log files, or the directory that holds them',
        });
      }
      for (const candidate of found) {
        if (seen.has(candidate.file.path)) continue;
        seen.add(candidate.file.path);
        candidates.push(candidate);
      }
      continue;
    }
    if (seen.has(arg)) continue;
    seen.add(arg);
    candidates.push(await inspect(arg));
  }

  // rotated sets: group by base name in the same directory, oldest first
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const path = candidate.file.path;
    const key = join(path, '..', rotationKey(basename(path)).base);
    const group = groups.get(key) ?? [];
    group.push(candidate);
    groups.set(key, group);
  }
  const ordered = [...groups.entries()].map(([key, group]) => {
    group.sort((a, b) => compareRotation(a.file.path, b.file.path));
    const firstTime = group.map((candidate) => sniffFirstTime(candidate.head)).find((time) => !Number.isNaN(time)) ?? Number.NaN;
    return { key, group, firstTime };
  });
  // unrelated files: by first timestamp where one was found, the rest after, by name
  ordered.sort((a, b) => {
    const aTimed = !Number.isNaN(a.firstTime);
    const bTimed = !Number.isNaN(b.firstTime);
    if (aTimed && bTimed && a.firstTime !== b.firstTime) return a.firstTime - b.firstTime;
    if (aTimed !== bTimed) return aTimed ? -1 : 1;
    return a.key.localeCompare(b.key);
  });
  const files = ordered.flatMap(({ group }) => group.map((candidate) => candidate.file));
  files.push(...streams);
  if (stdin !== null) files.push(stdin);
  return files;
}

/**
 * Why a directory entry is not read (null: it is, and it was added to `found`): not a regular
 * file, unreadable, named like an error log or a file that is never a log, binary, or not an
 * access log by its first lines.
 */
async function leftOutReason(path: string, name: string, options: ExpandOptions, found: Candidate[]): Promise<string | null> {
  if (name.startsWith('.')) return 'a hidden file';
  let entry;
  try {
    entry = await stat(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' ? 'a dangling link (its target does not exist)' : `cannot be read (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message})`;
  }
  if (entry.isDirectory()) return 'a directory (not read recursively; name it to read it)';
  if (entry.isFIFO()) return 'a named pipe (name it on the command line to read it)';
  if (!entry.isFile()) return 'not a regular file';
  if (ERROR_LOG.test(name)) return 'an error log, by its name';
  if (NOT_LOG.test(name)) return 'not a log, by its name';
  let candidate: Candidate;
  try {
    candidate = await inspect(path);
  } catch (error) {
    const code = ((error as { cause?: { code?: string } }).cause ?? {}).code;
    return `cannot be read (${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message})`;
  }
  if (candidate.file.size === 0) return 'empty';
  if (!candidate.file.gzip && looksBinary(candidate.head)) return 'binary data';
  // a .gz whose head does not inflate is read anyway: the scan reports its damage
  if (candidate.head.length > 0 && options.judgeHead !== undefined) {
    const verdict = options.judgeHead(candidate.head, path);
    if (verdict !== null) return verdict;
  }
  found.push(candidate);
  return null;
}
