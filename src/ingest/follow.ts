/**
 * Following logs as they grow, like `tail -F`: each poll stats every followed file, reads the
 * bytes added since the last one and hands on the complete lines.
 *
 * - rotation (rename, then a new file at the path): the renamed file is read to its end first
 *   (its last line even without a newline), then the new one from its start;
 * - truncation (copytruncate: same file, now shorter than what was read): read again from 0;
 * - a directory: every log in it, including ones created later; `.gz` files and numbered
 *   rotations (`access.log.1`) are history, not followed;
 * - a restart: given the positions a previous run saved, each file resumes at its byte offset
 *   (nothing read twice); a file rotated while nobody followed it is found by its inode in the
 *   same directory and finished before the new one is read.
 *
 * Polling rather than fs.watch: it sees renames, truncation and NFS the same way, and a poll of
 * a few files costs a few stat calls.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hasByteOrderMark, MAX_LINE_BYTES } from './line-reader.js';

/** Where a followed file was left: enough to resume it, or to find it after a rotation. */
export interface FollowPosition {
  path: string;
  dev: number;
  ino: number;
  /** bytes consumed: the end of the last complete line handed on */
  offset: number;
  /** lines handed on from this file so far (line numbers for skipped-line reports) */
  lines: number;
}

export interface LogFollowerOptions {
  /** positions a previous run saved (snapshot) */
  positions?: readonly FollowPosition[];
  /** files present at the start (with no saved position) are read from their end, not their start */
  fromEnd?: boolean;
  /** each complete line, without its newline (and '\r'); `line` is reused after the call */
  onLine: (file: string, line: Buffer, start: number, end: number, lineNumber: number) => void;
  /** a line longer than maxLineBytes: its bytes are dropped, this hears of it */
  onOverlongLine?: (file: string, lineNumber: number) => void;
  maxLineBytes?: number;
  /** bytes read per read call; default 1 MiB */
  chunkBytes?: number;
}

/** A name that is history in a log directory: compressed, or a numbered or dated rotation. */
export function isRotatedName(name: string): boolean {
  return /\.gz$/i.test(name) || /\.\d+$/.test(name) || /[-.]\d{8}(\d{2})?$/.test(name);
}

interface Followed {
  path: string;
  fd: number;
  dev: number;
  ino: number;
  offset: number;
  lines: number;
  /** bytes read past `offset`: an incomplete last line */
  pending: number;
  /** the incomplete line's bytes (while it is under maxLineBytes) */
  carry: Buffer;
  carryLength: number;
  /** the incomplete line passed maxLineBytes: its bytes are dropped until the next newline */
  overlong: boolean;
}

export class LogFollower {
  private readonly files = new Map<string, Followed>();
  private readonly saved = new Map<string, FollowPosition>();
  private readonly onLine: LogFollowerOptions['onLine'];
  private readonly maxLineBytes: number;
  private readonly chunk: Buffer;
  private first = true;
  /** bytes read over the follower's life */
  bytesRead = 0;

  constructor(
    private readonly targets: readonly string[],
    private readonly options: LogFollowerOptions,
  ) {
    this.onLine = options.onLine;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.chunk = Buffer.allocUnsafe(options.chunkBytes ?? 1 << 20);
    for (const position of options.positions ?? []) this.saved.set(position.path, position);
  }

  /** The files followed now, and where each was left. */
  positions(): FollowPosition[] {
    return [...this.files.values()].map((file) => ({ path: file.path, dev: file.dev, ino: file.ino, offset: file.offset, lines: file.lines }));
  }

  /** One pass over every followed file; resolves to the bytes read. */
  poll(): number {
    const before = this.bytesRead;
    for (const path of this.discover()) {
      const current = statOrNull(path);
      const followed = this.files.get(path);
      if (followed === undefined) {
        if (current !== null && current.isFile()) this.readToEnd(this.open(path, current), false);
        continue;
      }
      if (current === null || current.ino !== followed.ino || current.dev !== followed.dev) {
        // rotated or removed: finish the old file, then start the new one
        this.readToEnd(followed, true);
        closeSync(followed.fd);
        this.files.delete(path);
        if (current !== null && current.isFile()) this.readToEnd(this.open(path, current, 0), false);
        continue;
      }
      if (current.size < followed.offset + followed.pending) {
        // truncated in place (copytruncate): what is there now is new
        followed.offset = 0;
        followed.pending = 0;
        followed.carryLength = 0;
        followed.overlong = false;
      }
      this.readToEnd(followed, false);
    }
    this.first = false;
    return this.bytesRead - before;
  }

  close(): void {
    for (const file of this.files.values()) closeSync(file.fd);
    this.files.clear();
  }

  /** The files to follow now: the named files, and the current logs in named directories. */
  private discover(): string[] {
    const paths = new Set<string>();
    for (const target of this.targets) {
      const absolute = resolve(target);
      const stats = statOrNull(absolute);
      if (stats !== null && stats.isDirectory()) {
        for (const name of readdirSync(absolute).sort()) {
          if (isRotatedName(name)) continue;
          const path = join(absolute, name);
          if (statOrNull(path)?.isFile()) paths.add(path);
        }
      } else if (!/\.gz$/i.test(absolute)) paths.add(absolute);
    }
    // a file followed before stays until its rotation is seen
    for (const path of this.files.keys()) paths.add(path);
    return [...paths];
  }

  private open(path: string, stats: Stats, startAt?: number): Followed {
    const saved = this.saved.get(path);
    this.saved.delete(path);
    let offset = startAt ?? (this.first && this.options.fromEnd === true ? stats.size : 0);
    let lines = 0;
    if (saved !== undefined && startAt === undefined) {
      if (saved.dev === stats.dev && saved.ino === stats.ino && saved.offset <= stats.size) {
        offset = saved.offset;
        lines = saved.lines;
      } else {
        // rotated while nobody followed: finish the old file where it went, then read this one from 0
        this.finishRotated(path, saved);
        offset = 0;
      }
    }
    const followed = newFollowed(path, openSync(path, 'r'), stats, offset, lines);
    this.files.set(path, followed);
    return followed;
  }

  /** The file a saved position named, now under another name in the same directory (by inode). */
  private finishRotated(path: string, saved: FollowPosition): void {
    const directory = dirname(path);
    let names: string[];
    try {
      names = readdirSync(directory);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === basename(path) || /\.gz$/i.test(name)) continue;
      const candidate = join(directory, name);
      const stats = statOrNull(candidate);
      if (stats === null || stats.ino !== saved.ino || stats.dev !== saved.dev || stats.size < saved.offset) continue;
      const fd = openSync(candidate, 'r');
      const old = newFollowed(path, fd, stats, saved.offset, saved.lines);
      try {
        this.readToEnd(old, true);
      } finally {
        closeSync(fd);
      }
      return;
    }
  }

  /** Reads from the file's offset to its current end; `final`: the file will not grow, its last partial line is a line. */
  private readToEnd(file: Followed, final: boolean): void {
    const size = fstatSync(file.fd).size;
    let position = file.offset + file.pending;
    while (position < size) {
      const wanted = Math.min(this.chunk.length, size - position);
      const read = readSync(file.fd, this.chunk, 0, wanted, position);
      if (read <= 0) break;
      this.bytesRead += read;
      position += read;
      this.splitLines(file, this.chunk, read);
    }
    if (final && file.pending > 0) this.endLine(file, file.carry, 0, file.carryLength, 0);
  }

  private splitLines(file: Followed, chunk: Buffer, length: number): void {
    let start = 0;
    while (start < length) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1 || newline >= length) {
        this.keep(file, chunk, start, length);
        return;
      }
      if (file.pending > 0) {
        this.keep(file, chunk, start, newline);
        this.endLine(file, file.carry, 0, file.carryLength, 1);
      } else {
        file.pending = newline - start;
        this.endLine(file, chunk, start, newline, 1);
      }
      start = newline + 1;
    }
  }

  /** Hands on the pending line (its bytes in buffer[start, end)) and moves the offset past it and its `newline` byte. */
  private endLine(file: Followed, buffer: Buffer, start: number, end: number, newline: number): void {
    file.lines++;
    if (file.overlong) this.options.onOverlongLine?.(file.path, file.lines);
    else {
      // a file's first line may carry a UTF-8 byte order mark, which is not part of it
      const from = file.offset === 0 && hasByteOrderMark(buffer, start, end) ? start + 3 : start;
      this.onLine(file.path, buffer, from, end > from && buffer[end - 1] === 13 ? end - 1 : end, file.lines); // '\r'
    }
    file.offset += file.pending + newline;
    file.pending = 0;
    file.carryLength = 0;
    file.overlong = false;
  }

  private keep(file: Followed, chunk: Buffer, start: number, end: number): void {
    const length = end - start;
    file.pending += length;
    if (file.overlong) return;
    if (file.carryLength + length > this.maxLineBytes) {
      file.overlong = true;
      file.carryLength = 0;
      return;
    }
    if (file.carryLength + length > file.carry.length) {
      const grown = Buffer.allocUnsafe(Math.max(file.carry.length * 2, file.carryLength + length));
      file.carry.copy(grown, 0, 0, file.carryLength);
      file.carry = grown;
    }
    chunk.copy(file.carry, file.carryLength, start, end);
    file.carryLength += length;
  }
}

function newFollowed(path: string, fd: number, stats: Stats, offset: number, lines: number): Followed {
  return { path, fd, dev: stats.dev, ino: stats.ino, offset, lines, pending: 0, carry: Buffer.allocUnsafe(4096), carryLength: 0, overlong: false };
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
