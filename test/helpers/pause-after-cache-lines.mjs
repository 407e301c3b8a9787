// Preloaded into a CLI child (`node --import <this> bin/nasrepro.js ...`) by tests that kill a run
// part-way: after the NASREPRO_TEST_PAUSE_AFTER-th score-cache record is appended, it prints
// "nasrepro-test: paused" on stderr and blocks the process's main thread for good, so no further
// record can be written. The test kills it on that line: an event, not a delay, so the kill lands
// after exactly k records however fast or loaded the machine is.
import { createRequire, syncBuiltinESMExports } from 'node:module';

const require = createRequire(import.meta.url);
const fs = require('node:fs');
const limit = Number(process.env.NASREPRO_TEST_PAUSE_AFTER);
if (Number.isInteger(limit) && limit > 0) {
  const append = fs.appendFileSync;
  let records = 0;
  fs.appendFileSync = function (target, data, ...rest) {
    append.call(this, target, data, ...rest);
    // score-cache records carry "cell"; the header line does not
    if (typeof data === 'string' && data.includes('"cell"') && ++records === limit) {
      fs.writeSync(2, 'nasrepro-test: paused\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }
  };
  syncBuiltinESMExports();
}
