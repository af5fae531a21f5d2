/**
 * A DataView over a Buffer's bytes, for reading four or eight bytes at a time on the hot path.
 * One view is kept, for the last buffer asked for: a reader works through many slices of one
 * read chunk, so making a view per slice would cost more than the reads it saves.
 */
let viewBuffer: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(8));

/** A DataView over a buffer's bytes (the same one while the same buffer is asked for). */
export function viewOf(buffer: Uint8Array): DataView {
  if (buffer !== viewBuffer) {
    viewBuffer = buffer;
    view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  return view;
}
