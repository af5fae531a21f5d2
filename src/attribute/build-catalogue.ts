/**
 * Compiles data/actors.json, its range files and the crawler-user-agents patterns into
 * data/generated/catalogue.bin (catalogue-format.ts). Run at install by package.json "prepare"
 * (`node dist/attribute/build-catalogue.js`); the output is gitignored, never committed. The
 * loader rebuilds it when it is missing or its source hash no longer matches, so a source
 * checkout that skipped this step pays one JSON parse (~60 ms) on its first run.
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_COMPILED_CATALOGUE_PATH, writeCompiledCatalogue } from './compiled-catalogue.js';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const { bytes, catalogue, agentRules } = writeCompiledCatalogue(process.argv[2] ?? DEFAULT_COMPILED_CATALOGUE_PATH);
  const milliseconds = (performance.now() - started).toFixed(0);
  const segments = catalogue.index.segmentCounts;
  console.error(
    `build-catalogue: wrote ${(bytes.length / 1e3).toFixed(0)} KB catalogue (${catalogue.entries.length} entries, ` +
      `${catalogue.index.hitCount} prefixes in ${segments.v4} + ${segments.v6} segments, ${agentRules.rules.length} agent rules) in ${milliseconds} ms`,
  );
}
