/**
 * formats: bytes -> records. Presets, the Apache/nginx format-string compilers, JSON
 * mappings and W3C, each compiled once into a LineScanner that fills a reused ScanRecord.
 */
export {
  Field,
  FIELD_COUNT,
  FIELD_NAMES,
  ScanOutcome,
  ScanRecord,
  type FieldId,
  type LineScanner,
  type LogFormat,
  type ParsedRecord,
  type ScanOutcomeValue,
} from './record.js';
export { PRESETS, DETECTION_ORDER, type FormatOptions, type PresetFormat, type Sample } from './presets.js';
export { resolveFormat, detectFormat, DETECT_LINES, type Detection } from './resolve.js';
export { SkipCounter, MAX_EXAMPLES, MAX_EXAMPLE_TEXT, type SkipCounts, type SkipExample } from './skip-counter.js';
export { Reason } from './bytes.js';
export { FileLines, judgeAccessLog, nextFormat, PROBE_LINES, scanInputs, type ScanInputsOptions, type ScanInputsResult } from './scan-inputs.js';
