import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirectory } from './paths.js';

/**
 * The key of the report's keyed hashes (address pseudonyms, redacted secrets): 32 random
 * bytes in `report.key` in the user's data directory, mode 0600, made on first use. The same
 * key gives the same pseudonym to the same person in every report, so reports of different
 * days can be compared; deleting the file starts afresh. When the directory cannot be written,
 * a key for this run only (`stable: false`) and the caller says so.
 */
export function loadReportKey(env: NodeJS.ProcessEnv = process.env): { key: Buffer; stable: boolean; path: string } {
  const directory = dataDirectory(env);
  const path = join(directory, 'report.key');
  try {
    const key = readFileSync(path);
    if (key.length >= 32) return { key, stable: true, path };
  } catch {
    // none yet: made below
  }
  const key = randomBytes(32);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // 'wx': two runs starting together keep the first one's key
    writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
    return { key, stable: true, path };
  } catch {
    try {
      const existing = readFileSync(path);
      if (existing.length >= 32) return { key: existing, stable: true, path };
    } catch {
      // unwritable and unreadable: this run's key
    }
    return { key, stable: false, path };
  }
}
