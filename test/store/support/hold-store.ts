// Opens a store read-write and keeps it open until killed: another process holding the file.
import { withStore } from '../../../src/store/index.js';

await withStore(process.argv[2]!, {}, async () => {
  process.stdout.write('holding\n');
  // a timer keeps the process (and the open file) alive until it is killed
  await new Promise(() => setInterval(() => undefined, 60_000));
});
