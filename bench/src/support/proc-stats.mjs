/**
 * What Linux's /proc says about processes and the machine: a process tree, its CPU time and
 * resident memory, the machine's busy and stolen time. The benches read these around a
 * measured window; a process that ends while being read counts as zero.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;

/**
 * The fields of /proc/<pid>/stat after the command name, which may hold spaces and parentheses.
 * @param {number | string} pid
 */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const numericEntries = () => readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));

/**
 * `pid` and its children (token-service's cluster workers); none for a process without a pid
 * (one that never started: ChildProcess.pid is then undefined).
 * @param {number | undefined} pid
 * @returns {number[]}
 */
export function processTree(pid) {
  if (pid === undefined) return [];
  const pids = [pid];
  for (const entry of numericEntries()) {
    try {
      if (Number(statFields(entry)[1]) === pid) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/**
 * VmRSS in MB of `pid` and of each of its children.
 * @param {number | undefined} pid
 * @returns {{ pid: number, mb: number }[]}
 */
export function rssOfTree(pid) {
  return processTree(pid).map((p) => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return { pid: p, mb: match ? Number(match[1]) / 1024 : 0 };
    } catch {
      return { pid: p, mb: 0 };
    }
  });
}

/**
 * Pids whose command name is `name` (e.g. redis-server), all of them.
 * @param {string} name
 * @returns {number[]}
 */
export function pidsNamed(name) {
  return numericEntries()
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * CPU seconds (user + system) used so far by `pids`.
 * @param {number[]} pids
 */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = statFields(pid);
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // ended
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds the whole machine spent busy (every process, teammates' too), and of them the
 * time the hypervisor gave this VM's CPUs to someone else (steal), from /proc/stat.
 */
export function machineBusySeconds() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return { busy: (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND, steal: steal / TICKS_PER_SECOND };
}
