#!/usr/bin/env node
/** The `trust-broker` executable. */
import { runCli } from './program';
import { processOutput } from './output/output';

void runCli(process.argv.slice(2), { output: processOutput, env: process.env, cwd: process.cwd() }).then((code) => {
  process.exitCode = code;
});
