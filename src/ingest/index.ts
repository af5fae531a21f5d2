/**
 * ingest: bytes in. Which files, in which order (rotated sets, .gz, stdin), and their lines
 * (whole inputs, or byte ranges of plain files for worker threads).
 */
export { expandInputs, rotationKey, sniffFirstTime, unreadable, describeInput, type InputFile, type LeftOut, type ExpandOptions } from './inputs.js';
export {
  forEachLine,
  forEachLineInRange,
  forEachLineOfGzipHalf,
  readHeadBytes,
  newGzipCut,
  splitRanges,
  CHUNK_BYTES,
  MAX_LINE_BYTES,
  type ByteRange,
  type LineReaderOptions,
  type LineVisitor,
  type ProgressReporter,
} from './line-reader.js';
export { LogFollower, isRotatedName, type FollowPosition, type LogFollowerOptions } from './follow.js';
