/**
 * The last lines of `npm run bench` (issue 22's aims, side by side from one run): the open-loop
 * p99 of the broker's jwt-bearer grant (a) and of node-oidc-provider (b) at the same offered
 * rate, and the closed-loop requests per second of (a) over oidc-provider's (b), with the
 * cores the whole machine was busy meanwhile (a figure from a busy machine says little).
 * Reads the results token-endpoint.bench.mjs already measured; measures nothing itself.
 */

const OPEN_LOOP_P99_AIM_MS = 25;
const CLOSED_LOOP_RATIO_AIM = 2;

/**
 * What the summary reads of a measured run: its rate, its p99 and the cores the machine was busy.
 * @typedef {{ rps: number, p99: number, cpu: { machine: number } }} MeasuredRun
 */

const ms = (/** @type {number} */ value) => `${value} ms`;
const machine = (/** @type {MeasuredRun[]} */ ...runs) => `machine ${runs.map((r) => r.cpu.machine.toFixed(2)).join(' / ')} cores busy`;
const verdict = (/** @type {boolean} */ met) => (met ? 'met' : 'not met');

/**
 * @param {{ grant: MeasuredRun | undefined, oidc: MeasuredRun | undefined, grantOpen: MeasuredRun | undefined, oidcOpen: MeasuredRun | undefined,
 *   connections: number, rate: number }} runs: closed-loop (a) and oidc-provider (b), and their open-loop runs (absent when not run)
 * @returns {string[]}
 */
export function summaryLines({ grant, oidc, grantOpen, oidcOpen, connections, rate }) {
  const lines = ['Summary (issue 22 aims; "machine": cores busy on the whole machine during each run, of which the bench used part):'];
  if (grantOpen && oidcOpen) {
    const met = grantOpen.p99 <= oidcOpen.p99 && grantOpen.p99 <= OPEN_LOOP_P99_AIM_MS;
    lines.push(
      `  open loop at ${rate} req/s offered: p99 jwt-bearer grant (a) ${ms(grantOpen.p99)}, oidc-provider (b) ${ms(oidcOpen.p99)} ` +
        `(aim: (a) <= oidc-provider and <= ${ms(OPEN_LOOP_P99_AIM_MS)}: ${verdict(met)}; ${machine(grantOpen, oidcOpen)})`,
    );
  } else {
    lines.push(`  open loop: not run (BENCH_LATENCY_RATE=${rate})`);
  }
  if (grant && oidc) {
    const ratio = grant.rps / oidc.rps;
    lines.push(
      `  closed loop at ${connections} connections: jwt-bearer grant (a) ${grant.rps.toFixed(0)} req/s, oidc-provider (b) ${oidc.rps.toFixed(0)} req/s = ` +
        `${ratio.toFixed(2)}x (aim: >= ${CLOSED_LOOP_RATIO_AIM}x, the whole system on the same cores: ${verdict(ratio >= CLOSED_LOOP_RATIO_AIM)}; ${machine(grant, oidc)})`,
    );
  } else {
    lines.push('  closed loop: not run');
  }
  return lines;
}
