/** The benches' progress lines: on stderr, so that stdout carries only the figures. */
export const log = (/** @type {string} */ line) => process.stderr.write(`bench: ${line}\n`);
