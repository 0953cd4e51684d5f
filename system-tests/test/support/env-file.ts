/** The `.env` files of the compose set-up: written by `npm run compose:init`, read as compose reads them. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');

/** Runs scripts/compose-init.mjs, which writes a `.env` with generated secrets to `out`. */
export function composeInit(out: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', 'compose-init.mjs'), '--out', out], { encoding: 'utf8' });
}

/** The `NAME=value` lines of an env file (comments and blank lines left out). */
export function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}
