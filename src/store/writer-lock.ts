import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { ReplaywatchError } from '../common/errors.js';

/**
 * The one long-lived writer of a store (the canary listener) holds a pid file beside it.
 * A second one is refused with E_STATE_LOCKED naming the holder; a pid file left by a process
 * that no longer runs is taken over.
 */
export interface WriterLock {
  release(): void;
}

export function acquireWriterLock(path: string, role: string, store: string): WriterLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n${role}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8').split('\n')[0] === String(process.pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ReplaywatchError('E_STATE_IO', `cannot create the lock file ${path}`, { cause: error });
      }
    }
    let holder = NaN;
    let holderRole = 'another process';
    try {
      const [pidText, roleText] = readFileSync(path, 'utf8').split('\n');
      holder = Number(pidText);
      if (roleText) holderRole = roleText;
    } catch {
      continue; // removed meanwhile: try again
    }
    if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
      throw new ReplaywatchError('E_STATE_LOCKED', `the store ${store} is already being written by ${holderRole} (pid ${holder})`, {
        hint: `stop that process first (kill ${holder}), or use another --state FILE`,
      });
    }
    try {
      unlinkSync(path); // stale: its process is gone
    } catch {
      // someone else took it over; try again
    }
  }
  throw new ReplaywatchError('E_STATE_LOCKED', `cannot take the writer lock ${path}`, { hint: 'try again' });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
