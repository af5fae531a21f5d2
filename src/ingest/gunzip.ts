/**
 * gzip decompression on this thread into one reused output buffer.
 *
 * Node's zlib streams hand out a fresh 1 MiB buffer per output chunk: 2.6 GB of log is 2,600
 * ArrayBuffers, and V8 answers that much external memory with full garbage collections (48
 * mark-compacts instead of 6 on the bench log), each marking the detector's whole heap. Here
 * the zlib handle inflates straight into a buffer we own and reuse, synchronously, with the
 * multi-member handling of Node's own binding (a member that ends is followed by the next).
 *
 * It drives the handle the way Node's own synchronous zlib functions do (`writeSync` and the
 * `_writeState` pair). That handle is Node's internal interface, so `openInflater` returns
 * null when it is not there and the caller falls back to the stream.
 */
import { constants, createGunzip, type Gunzip } from 'node:zlib';

/**
 * Damaged compressed data (a truncated file, garbage after the last member, a corrupt block):
 * what came before it was read; the caller decides whether to go on without the rest.
 */
export class GzipDamage extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GzipDamage';
  }
}

/** Gets each piece of output (valid during the call); false stops. */
export type InflatedVisitor = (buffer: Buffer, length: number) => boolean;

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, output: Uint8Array, outOffset: number, outLength: number): void;
  onerror: (message: string, errno: number) => void;
}

/**
 * Output per writeSync call. A call that meets damaged data reports no output, so what it
 * inflated before the damage is lost: 1 MiB at most, as with the stream's chunks.
 */
const OUTPUT_BYTES = 1 << 20;

export class Inflater {
  private readonly output = Buffer.allocUnsafe(OUTPUT_BYTES);
  private failure: Error | null = null;

  private constructor(
    private readonly stream: Gunzip,
    private readonly handle: ZlibHandle,
    /** [output bytes left, input bytes left] after each writeSync */
    private readonly state: Uint32Array,
  ) {
    handle.onerror = (message) => {
      this.failure = new GzipDamage(message);
    };
  }

  /** An inflater, or null when this Node has no synchronous zlib handle (use the stream). */
  static open(): Inflater | null {
    const stream = createGunzip();
    const internal = stream as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    if (typeof internal._handle?.writeSync !== 'function' || !(internal._writeState instanceof Uint32Array)) {
      stream.close();
      return null;
    }
    return new Inflater(stream, internal._handle, internal._writeState);
  }

  /** Inflates input[0, length), handing each piece of output to `visit`; false once a visit said stop. */
  write(input: Buffer, length: number, visit: InflatedVisitor): boolean {
    let offset = 0;
    let left = length;
    while (left > 0) {
      this.handle.writeSync(constants.Z_NO_FLUSH, input, offset, left, this.output, 0, OUTPUT_BYTES);
      this.check();
      const produced = OUTPUT_BYTES - this.state[0]!;
      const consumed = left - this.state[1]!;
      offset += consumed;
      left -= consumed;
      if (produced > 0) {
        if (!visit(this.output, produced)) return false;
      } else if (consumed === 0) {
        // zero padding after the last member: nothing more to read
        return true;
      }
    }
    return true;
  }

  /** The end of the input: the rest of the output; a truncated stream is an error (after what it held was visited). */
  end(visit: InflatedVisitor): void {
    // a sync flush first: it hands over what a truncated stream holds, where Z_FINISH would fail and lose it
    if (this.drain(constants.Z_SYNC_FLUSH, visit)) this.drain(constants.Z_FINISH, visit);
  }

  /** Calls zlib with no more input and `flush` until its output is drained; false once a visit said stop. */
  private drain(flush: number, visit: InflatedVisitor): boolean {
    for (;;) {
      this.handle.writeSync(flush, this.output, 0, 0, this.output, 0, OUTPUT_BYTES);
      this.check();
      const produced = OUTPUT_BYTES - this.state[0]!;
      if (produced > 0 && !visit(this.output, produced)) return false;
      if (produced < OUTPUT_BYTES) return true;
    }
  }

  close(): void {
    this.stream.close();
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }
}
