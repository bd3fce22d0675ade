#!/usr/bin/env node
import { runCli } from '../lib/cli/commands.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  // runCli reports its own errors; this is the last resort if reporting itself fails.
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
