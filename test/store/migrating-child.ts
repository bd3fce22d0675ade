/**
 * One migrator process for test/store/migrate-concurrency.test.ts: `migrating-child.ts URL PREFIX
 * [STOP_AT]` applies the migrations and prints what it applied as JSON. With STOP_AT (a pattern),
 * it prints `stopped` when it is about to send a matching statement and blocks there, so the test
 * can SIGKILL it at exactly that point of the run.
 */
import { connectKnex } from '../../lib/store/connect.js';
import { migrateLatest } from '../../lib/store/migrate.js';
import fs from 'node:fs';

const [url, prefix, stopAt] = process.argv.slice(2);
const knex = connectKnex(url);
if (stopAt) {
  const pattern = new RegExp(stopAt, 'i');
  knex.on('query', ({ sql }: { sql: string }) => {
    if (!pattern.test(sql)) return;
    fs.writeSync(1, 'stopped\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
}
const applied = await migrateLatest(knex, prefix);
fs.writeSync(1, `${JSON.stringify(applied)}\n`);
await knex.destroy();
