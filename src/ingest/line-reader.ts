/**
 * Lines out of bytes: large fd reads (or a gunzip / stdin stream), split on '\n' with
 * indexOf (memchr), '\r' stripped, partial lines carried across chunks. A visited slice is
 * valid only during the call: the read buffer is reused.
 *
 * A line longer than maxLineBytes is not grown without bound: its first maxLineBytes are
 * kept, the rest is discarded up to the next '\n', and it is reported to onOverlongLine
 * (still one line, so line numbers stay right).
 */
import { type FileHandle, open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { InputFile } from './inputs.js';
import { describeInput, unreadable } from './inputs.js';
import { GzipDamage, Inflater } from './gunzip.js';
import { ReplaywatchError } from '../common/errors.js';

/** 4 MiB reads: large enough that syscalls vanish from the profile, small enough for many workers. */
export const CHUNK_BYTES = 4 << 20;
/** Compressed bytes per read of a gzip file. */
const GZIP_READ_BYTES = 256 << 10;
/** Lines longer than this are cut and reported; no access log line is legitimately this long. */
export const MAX_LINE_BYTES = 64 << 10;

export type LineVisitor = (buffer: Buffer, start: number, end: number) => void;
export type ProgressReporter = (bytesRead: number, totalBytes: number) => void;

export interface LineReaderOptions {
  maxLineBytes?: number;
  /** called instead of visit for an overlong line, with its first maxLineBytes */
  onOverlongLine?: LineVisitor;
  /** a stream to read instead of process.stdin (tests, the follow command) */
  stdin?: Readable;
  /** forEachLineInRange: bytes of the range read so far, after each read */
  onBytes?: (bytesRead: number) => void;
  /**
   * Damaged gzip data (truncated, trailing garbage, a corrupt block): the lines before the
   * damage were visited, the rest cannot be read; called once with the reason, and the read
   * ends normally. Without it the damage is E_INPUT_UNREADABLE.
   */
  onDamage?: (reason: string) => void;
}

/**
 * Splits chunks into lines. Tracks absolute offsets so a byte range can stop at the first
 * line that starts at or after its end.
 */
class LineSplitter {
  private carry: Buffer;
  private carryLength = 0;
  /** absolute offset of the first byte in carry */
  private carryStart = 0;
  /** the carried line is longer than the limit: discard until '\n' */
  private overlong = false;
  /** absolute offset of chunk[0] */
  private offset: number;
  /** the next line is the input's first: a UTF-8 byte order mark before it is not part of it */
  private first: boolean;
  stopped = false;

  constructor(
    private readonly visit: LineVisitor,
    private readonly maxLineBytes: number,
    private readonly onOverlongLine: LineVisitor | undefined,
    startOffset = 0,
    /** lines starting at or after this absolute offset are not visited (setLimit may lower it) */
    private limit = Number.POSITIVE_INFINITY,
  ) {
    this.carry = Buffer.allocUnsafe(Math.min(maxLineBytes, 64 << 10));
    this.offset = startOffset;
    this.first = startOffset === 0;
  }

  private emit(buffer: Buffer, start: number, end: number, overlong: boolean): void {
    if (end > start && buffer[end - 1] === 13) end--; // '\r'
    if (this.first) {
      // Windows tools (Notepad, PowerShell's UTF8 encoding, IIS on some setups) start a file with one
      this.first = false;
      if (hasByteOrderMark(buffer, start, end)) start += 3;
    }
    if (overlong) {
      if (this.onOverlongLine !== undefined) this.onOverlongLine(buffer, start, end);
      else this.visit(buffer, start, end);
    } else {
      this.visit(buffer, start, end);
    }
  }

  private appendCarry(chunk: Buffer, start: number, end: number): void {
    if (this.overlong) return;
    const length = end - start;
    if (this.carryLength + length > this.maxLineBytes) {
      // keep the first maxLineBytes as the example, drop the rest
      const room = this.maxLineBytes - this.carryLength;
      this.ensureCarry(this.maxLineBytes);
      chunk.copy(this.carry, this.carryLength, start, start + room);
      this.carryLength = this.maxLineBytes;
      this.overlong = true;
      return;
    }
    this.ensureCarry(this.carryLength + length);
    chunk.copy(this.carry, this.carryLength, start, end);
    this.carryLength += length;
  }

  private ensureCarry(size: number): void {
    if (size <= this.carry.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(size, this.carry.length * 2)));
    this.carry.copy(grown, 0, 0, this.carryLength);
    this.carry = grown;
  }

  /** Sets the limit once it is known (a gzip half's end, decided by the other reader). */
  setLimit(limit: number): void {
    this.limit = limit;
  }

  /** Feeds `length` bytes of chunk. Returns false once the range limit is reached. */
  push(chunk: Buffer, length: number): boolean {
    if (this.stopped) return false;
    let pos = 0;
    const chunkOffset = this.offset;
    this.offset += length;
    if (this.carryLength > 0 || this.overlong) {
      let newline = chunk.indexOf(10, 0); // '\n'
      if (newline >= length) newline = -1; // a reused buffer may hold stale bytes past length
      if (newline < 0) {
        this.appendCarry(chunk, 0, length);
        return true;
      }
      this.appendCarry(chunk, 0, newline);
      if (this.carryStart >= this.limit) {
        this.stopped = true;
        return false;
      }
      this.emit(this.carry, 0, this.carryLength, this.overlong);
      this.carryLength = 0;
      this.overlong = false;
      pos = newline + 1;
    }
    const max = this.maxLineBytes;
    while (pos < length) {
      if (chunkOffset + pos >= this.limit) {
        this.stopped = true;
        return false;
      }
      let newline = chunk.indexOf(10, pos); // '\n'
      if (newline >= length) newline = -1;
      if (newline < 0) break;
      if (newline - pos > max) this.emit(chunk, pos, pos + max, true);
      else this.emit(chunk, pos, newline, false);
      pos = newline + 1;
    }
    if (pos < length) {
      this.carryStart = chunkOffset + pos;
      this.appendCarry(chunk, pos, length);
    }
    return true;
  }

  /** The last line, when the input does not end with '\n'. */
  finish(): void {
    if (this.stopped) return;
    if (this.carryLength > 0 || this.overlong) {
      if (this.carryStart < this.limit) this.emit(this.carry, 0, this.carryLength, this.overlong);
      this.carryLength = 0;
      this.overlong = false;
    }
  }
}

async function readStream(stream: Readable, splitter: LineSplitter, onChunk?: () => void): Promise<void> {
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    splitter.push(buffer, buffer.length);
    onChunk?.();
  }
  splitter.finish();
}

/** stdin, gunzipped when it starts with the gzip magic bytes; damaged gzip data ends it with a GzipDamage after the lines before it. */
async function readStdin(stream: Readable, splitter: LineSplitter): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const head = first.value as Buffer;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const feed = (async () => {
      gunzip.write(head);
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        if (!gunzip.write(next.value as Buffer)) await new Promise((resolve) => gunzip.once('drain', resolve));
      }
      gunzip.end();
    })();
    try {
      await Promise.all([feed, readStream(gunzip, splitter)]);
    } catch (error) {
      if (!isZlibError(error)) throw error;
      splitter.finish();
      // the rest of stdin is not read: let the writer finish rather than block on a full pipe
      stream.resume();
      throw new GzipDamage((error as Error).message);
    }
    return;
  }
  splitter.push(head, head.length);
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
    const buffer = next.value as Buffer;
    splitter.push(buffer, buffer.length);
  }
  splitter.finish();
}

/**
 * Reads a file from `start` in CHUNK_BYTES pieces into two buffers in turn, so the next read is
 * under way (in libuv's thread pool, on another core) while `onChunk` splits and scans the
 * current one. `onChunk` gets the chunk, its length and the bytes read so far, and returns
 * false to stop; a chunk's bytes stay valid until onChunk returns (the buffer is read into
 * again two chunks later).
 */
async function readChunks(handle: FileHandle, start: number, onChunk: (chunk: Buffer, length: number, read: number) => boolean, chunkBytes = CHUNK_BYTES): Promise<void> {
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let turn = 0;
  let position = start;
  let pending: Promise<{ bytesRead: number }> | null = handle.read(buffers[0]!, 0, chunkBytes, position);
  try {
    for (;;) {
      const { bytesRead } = await pending!;
      pending = null;
      if (bytesRead === 0) return;
      const chunk = buffers[turn]!;
      position += bytesRead;
      turn ^= 1;
      pending = handle.read(buffers[turn]!, 0, chunkBytes, position);
      if (!onChunk(chunk, bytesRead, position - start)) return;
    }
  } finally {
    // the read ahead must finish before the caller closes the file
    if (pending !== null) await pending.catch(() => undefined);
  }
}

/** Opens a file for reading; a failure is E_INPUT_UNREADABLE naming it. */
async function openOrUnreadable(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
}

/**
 * Visits every line of an input: a plain file (fd reads), a gzip file (streamed, every member
 * of a multi-member file), or stdin ('-'). Read errors become E_INPUT_UNREADABLE.
 */
export async function forEachLine(
  input: InputFile | string,
  visit: LineVisitor,
  progress?: ProgressReporter,
  options: LineReaderOptions = {},
): Promise<void> {
  const splitter = new LineSplitter(visit, options.maxLineBytes ?? MAX_LINE_BYTES, options.onOverlongLine);
  const path = typeof input === 'string' ? input : input.path;
  try {
    const file: InputFile = typeof input === 'string' ? await describeFile(input) : input;
    if (file.path === '-' || file.stream === true) {
      try {
        // a named pipe or process substitution is read like stdin: once, as it comes (no seeking)
        await readStdin(file.path === '-' ? (options.stdin ?? process.stdin) : createReadStream(file.path, { highWaterMark: 1 << 20 }), splitter);
      } catch (error) {
        if (!(error instanceof GzipDamage)) throw error;
        damaged(options, describeInput(path), error.message);
      }
      return;
    }
    if (file.gzip) {
      const total = file.size;
      const damage = await inflateFile(file.path, (chunk, length, read) => {
        splitter.push(chunk, length);
        progress?.(read, total);
        return true;
      });
      splitter.finish();
      if (damage !== null) damaged(options, file.path, damage);
      return;
    }
    const handle = await open(file.path, 'r');
    try {
      const total = file.size >= 0 ? file.size : (await handle.stat()).size;
      await readChunks(handle, 0, (chunk, length, read) => {
        splitter.push(chunk, length);
        progress?.(read, total);
        return true;
      });
      splitter.finish();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // the visitor's own errors (no format matches, E_FORMAT_UNDETECTED) are not read errors
    if (error instanceof ReplaywatchError) throw error;
    throw unreadable(describeInput(path), error);
  }
}

/** Damaged gzip data: the reader's onDamage hears it, else it is E_INPUT_UNREADABLE. */
function damaged(options: LineReaderOptions, path: string, reason: string): void {
  const sentence = `damaged gzip data in ${path} (${reason}): the lines before the damage were read, the rest is lost`;
  if (options.onDamage === undefined) throw unreadable(path, new Error(sentence));
  options.onDamage(sentence);
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** A path given as a string: its size, and gzip by the magic bytes 1f 8b. */
async function describeFile(path: string): Promise<InputFile> {
  if (path === '-') return { path, size: -1, gzip: false };
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    const size = (await handle.stat()).size;
    return { path, size, gzip: bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b };
  } finally {
    await handle.close();
  }
}

/**
 * Visits the lines that START in [startByte, endByte) of a plain file, so that ranges which
 * tile the file visit every line exactly once. A line that starts inside the range is read to
 * its end even past endByte.
 */
export async function forEachLineInRange(
  path: string,
  startByte: number,
  endByte: number,
  visit: LineVisitor,
  options: LineReaderOptions = {},
): Promise<void> {
  const handle = await openOrUnreadable(path);
  try {
    let position = startByte;
    const buffer = Buffer.allocUnsafe(1 << 16);
    if (startByte > 0) {
      // the line in progress at startByte belongs to the range before: skip to its end
      const { bytesRead } = await handle.read(buffer, 0, 1, startByte - 1);
      if (bytesRead === 1 && buffer[0] !== 10) {
        for (;;) {
          const { bytesRead: count } = await handle.read(buffer, 0, buffer.length, position);
          if (count === 0) return;
          const newline = buffer.indexOf(10, 0);
          if (newline >= 0 && newline < count) {
            position += newline + 1;
            break;
          }
          position += count;
        }
      }
    }
    if (position >= endByte) return;
    const splitter = new LineSplitter(visit, options.maxLineBytes ?? MAX_LINE_BYTES, options.onOverlongLine, position, endByte);
    let stopped = false;
    await readChunks(handle, position, (chunk, length, read) => {
      if (!splitter.push(chunk, length)) {
        stopped = true;
        return false;
      }
      options.onBytes?.(Math.min(position + read, endByte) - startByte);
      return true;
    });
    if (!stopped) splitter.finish();
  } catch (error) {
    if (error instanceof ReplaywatchError) throw error;
    throw unreadable(path, error);
  } finally {
    await handle.close();
  }
}

export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Up to n byte ranges that tile a plain file, each starting at a line start and at least
 * minBytes long (default 1 MiB: smaller pieces cost more in worker start-up than they save).
 * `firstExtra` bytes more go to the first range (at most a quarter of a range more), the rest
 * is shared equally: the thread that reads the first range starts before the others.
 */
export async function splitRanges(path: string, n: number, minBytes = 1 << 20, firstExtra = 0): Promise<ByteRange[]> {
  const handle = await openOrUnreadable(path);
  try {
    const size = (await handle.stat()).size;
    const count = Math.max(1, Math.min(n, Math.floor(size / Math.max(1, minBytes)) || 1));
    const first = count > 1 ? Math.floor(size / count + Math.min(firstExtra, size / count / 4)) : size;
    const starts = [0];
    const probe = Buffer.allocUnsafe(1 << 16);
    for (let i = 1; i < count; i++) {
      let at = Math.floor(first + ((size - first) * (i - 1)) / (count - 1));
      if (at <= starts[starts.length - 1]) continue;
      // move to the start of the next line
      for (;;) {
        const { bytesRead } = await handle.read(probe, 0, probe.length, at - 1);
        if (bytesRead === 0) {
          at = size;
          break;
        }
        const newline = probe.indexOf(10, 0);
        if (newline >= 0 && newline < bytesRead) {
          at = at - 1 + newline + 1;
          break;
        }
        at += bytesRead;
      }
      if (at < size && at > starts[starts.length - 1]) starts.push(at);
    }
    return starts.map((start, index) => ({ start, end: index + 1 < starts.length ? starts[index + 1] : size }));
  } finally {
    await handle.close();
  }
}

/**
 * Where a gzip file is cut between two readers, shared by both (a BigInt64Array of one word
 * over a SharedArrayBuffer, 0 to begin with): while it is >= 0 it is how far into the
 * decompressed stream the first half's reader has read (lines starting before it may be
 * its); once the second half's reader has cut, it is -(cut + 1), the decompressed offset of
 * the line start where the second half begins.
 */
export function newGzipCut(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(8));
}

/**
 * Visits the lines of one half of a gzip file, for two readers on two threads. A gzip member
 * cannot be entered in the middle, so both inflate from the start: the first half's reader
 * visits lines from the beginning and, before each decompressed chunk, claims it (compare and
 * exchange on `cut`); the second half's reader inflates without visiting (Node's zlib runs at
 * several times the speed of reading lines) until it has read `half` compressed bytes, then
 * cuts at the next line start at or past the first reader's claim and visits from there. The
 * first reader stops at the cut once it sees it. Every line is visited by exactly one reader
 * whatever the timing: a cut is never before a claim, and a claim is never made past a cut.
 * `onBytes` hears the compressed bytes read.
 */
export async function forEachLineOfGzipHalf(
  path: string,
  second: boolean,
  half: number,
  cut: BigInt64Array,
  visit: LineVisitor,
  options: LineReaderOptions = {},
): Promise<void> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  let splitter: LineSplitter | null = second ? null : new LineSplitter(visit, maxLineBytes, options.onOverlongLine, 0);
  let limited = second;
  // decompressed offset of the chunk at hand, and whether the byte before it is '\n'
  let offset = 0;
  let afterNewline = true;
  let stopped = false;
  try {
    const damage = await inflateFile(path, (chunk, length, read) => {
      if (splitter === null) {
        if (read >= half) {
          const start = cutAt(chunk, length, offset, afterNewline, cut);
          if (start >= 0) {
            splitter = new LineSplitter(visit, maxLineBytes, options.onOverlongLine, offset + start);
            splitter.push(chunk.subarray(start, length), length - start);
          }
        }
      } else {
        if (!limited) {
          // claim this chunk, unless the second reader has cut
          for (;;) {
            const word = Atomics.load(cut, 0);
            if (word < 0n) {
              splitter.setLimit(Number(-word - 1n));
              limited = true;
              break;
            }
            if (Atomics.compareExchange(cut, 0, word, BigInt(offset + length)) === word) break;
          }
        }
        if (!splitter.push(chunk, length)) {
          stopped = true;
          return false;
        }
      }
      offset += length;
      afterNewline = chunk[length - 1] === 10;
      options.onBytes?.(read);
      return true;
    });
    if (!stopped) (splitter as LineSplitter | null)?.finish();
    // the damage is the reader's whose lines reach it: the first half's unless the second
    // had cut (then the first stopped at the cut, before the damage); once, either way
    if (damage !== null && (second ? splitter !== null : !limited)) damaged(options, path, damage);
  } catch (error) {
    // the visitor's own errors (no format matches, E_FORMAT_UNDETECTED) are not read errors
    if (error instanceof ReplaywatchError) throw error;
    throw unreadable(path, error);
  }
}

/**
 * The first `limit` bytes of an input or a little more (decompressed for gzip: a damaged or
 * truncated stream gives what came before the damage, an error only when nothing came).
 */
export async function readHeadBytes(input: InputFile, limit: number): Promise<Buffer> {
  if (!input.gzip) {
    const handle = await openOrUnreadable(input.path);
    try {
      const buffer = Buffer.allocUnsafe(Math.min(limit, Math.max(1, input.size)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return withoutByteOrderMark(buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }
  const pieces: Buffer[] = [];
  let length = 0;
  const damage = await inflateFile(input.path, (chunk, size) => {
    // the inflater's buffer is reused: copy
    pieces.push(Buffer.from(chunk.subarray(0, size)));
    length += size;
    return length < limit;
  });
  if (damage !== null && length === 0) throw unreadable(input.path, new Error(`damaged gzip data (${damage})`));
  return withoutByteOrderMark(Buffer.concat(pieces));
}

/** Whether the bytes from `start` begin with UTF-8's byte order mark (EF BB BF). */
export function hasByteOrderMark(buffer: Buffer, start: number, end: number): boolean {
  return end - start >= 3 && buffer[start] === 0xef && buffer[start + 1] === 0xbb && buffer[start + 2] === 0xbf;
}

function withoutByteOrderMark(head: Buffer): Buffer {
  return hasByteOrderMark(head, 0, head.length) ? head.subarray(3) : head;
}

/**
 * The decompressed bytes of a gzip file, in pieces (valid during the call), with the
 * compressed bytes read so far; `onData` returns false to stop. Inflated on this thread into a
 * reused buffer (gunzip.ts), or by Node's zlib stream where that is not available.
 *
 * Returns null, or the reason the data is damaged: everything before the damage has been
 * handed over by then. A call into zlib that meets damage reports no output, so the bytes it
 * had inflated (up to 1 MiB) are recovered by inflating again from the start in small steps
 * (salvage), skipping what was already handed over; damage is rare, so this costs nothing on
 * good files.
 */
async function inflateFile(path: string, onData: (chunk: Buffer, length: number, read: number) => boolean): Promise<string | null> {
  const inflater = Inflater.open();
  if (inflater === null) {
    const source = createReadStream(path, { highWaterMark: 1 << 20 });
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    source.on('error', (error) => gunzip.destroy(error));
    source.pipe(gunzip);
    try {
      for await (const value of gunzip) {
        const chunk = value as Buffer;
        if (chunk.length > 0 && !onData(chunk, chunk.length, source.bytesRead)) return null;
      }
    } catch (error) {
      if (isZlibError(error)) return (error as Error).message;
      throw error;
    } finally {
      source.destroy();
      gunzip.destroy();
    }
    return null;
  }
  const handle = await openOrUnreadable(path);
  let delivered = 0;
  let damage: GzipDamage | null = null;
  let inEnd = false;
  try {
    let read = 0;
    let going = true;
    const visit = (chunk: Buffer, length: number): boolean => {
      delivered += length;
      return (going = onData(chunk, length, read));
    };
    // compressed reads of 256 KiB (about 5 MB of log): the progress bar and a gzip half's cut
    // follow the compressed position at that grain
    try {
      await readChunks(
        handle,
        0,
        (chunk, length, total) => {
          read = total;
          return inflater.write(chunk, length, visit);
        },
        GZIP_READ_BYTES,
      );
      inEnd = true;
      if (going) inflater.end(visit);
    } catch (error) {
      if (!(error instanceof GzipDamage)) throw error;
      damage = error;
    }
  } finally {
    inflater.close();
    await handle.close();
  }
  if (damage === null) return null;
  // truncated: the sync flush in end() handed everything over already
  if (!inEnd) await salvage(path, delivered, onData);
  return damage.message;
}

/** Compressed bytes per zlib call while salvaging, and one byte a call near the damage. */
const SALVAGE_STEP = 512;

/**
 * Inflates `path` again from the start, handing over what comes after the first `skip`
 * decompressed bytes, up to the damage. A zlib call that meets the damage reports nothing, so
 * a first pass finds the step where the damage is and a second feeds the bytes before it one
 * at a time: nothing that inflates is lost (a member's last line before garbage included).
 */
async function salvage(path: string, skip: number, onData: (chunk: Buffer, length: number, read: number) => boolean): Promise<void> {
  const failedAt = await salvagePass(path, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, () => true);
  await salvagePass(path, skip, failedAt - SALVAGE_STEP, onData);
}

/** One salvage pass: returns the compressed offset of the step that met the damage. */
async function salvagePass(path: string, skip: number, fineFrom: number, onData: (chunk: Buffer, length: number, read: number) => boolean): Promise<number> {
  const inflater = Inflater.open();
  if (inflater === null) return 0;
  const handle = await openOrUnreadable(path);
  let seen = 0;
  let read = 0;
  let stepAt = 0;
  const visit = (chunk: Buffer, length: number): boolean => {
    const from = Math.max(0, skip - seen);
    seen += length;
    if (from >= length) return true;
    return onData(from === 0 ? chunk : chunk.subarray(from), length - from, read);
  };
  try {
    await readChunks(
      handle,
      0,
      (chunk, length, total) => {
        const chunkAt = total - length;
        read = total;
        for (let at = 0; at < length; ) {
          const step = chunkAt + at >= fineFrom ? 1 : Math.min(SALVAGE_STEP, length - at);
          stepAt = chunkAt + at;
          if (!inflater.write(chunk.subarray(at, at + step), step, visit)) return false;
          at += step;
        }
        return true;
      },
      64 << 10,
    );
  } catch (error) {
    if (!(error instanceof GzipDamage)) throw error;
  } finally {
    inflater.close();
    await handle.close();
  }
  return stepAt;
}

/**
 * The second reader's cut in `chunk` (decompressed offset `offset`): the first line start at
 * or past the first reader's claim, published with compare and exchange (retried when the
 * first reader claims more meanwhile). Returns its index in the chunk, or -1: none here yet.
 */
function cutAt(chunk: Buffer, length: number, offset: number, afterNewline: boolean, cut: BigInt64Array): number {
  for (;;) {
    const claim = Atomics.load(cut, 0);
    // the first reader never cuts: a negative word here is not possible, but stays safe
    if (claim < 0n) return -1;
    const from = Math.max(0, Number(claim) - offset);
    if (from > length) return -1;
    let start: number;
    if (from === 0 && afterNewline) start = 0;
    else {
      const newline = chunk.indexOf(10, from === 0 ? 0 : from - 1);
      if (newline < 0 || newline >= length) return -1;
      start = newline + 1;
    }
    if (start >= length) return -1;
    if (Atomics.compareExchange(cut, 0, claim, -BigInt(offset + start) - 1n) === claim) return start;
  }
}
