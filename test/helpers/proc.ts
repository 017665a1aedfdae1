// Process facts read straight from Linux /proc: children and descendants of a pid, their command
// lines, resident memory, open file descriptors and CPU time. Used by fault tests (which ffmpeg
// belongs to which stream, did every child exit) and by scripts/soak.ts (server RSS/fd drift).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** One-letter state: R, S, D, Z (zombie), T, … */
  state: string;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

let clockTicks: number | undefined;
/** USER_HZ (almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** /proc/<pid>/stat parsed; undefined when the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces or ')': split after the last ')'.
  const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  // rest[0] = field 3 (state), rest[1] = ppid, rest[11] = utime (field 14), rest[12] = stime (field 15)
  return { pid, state: rest[0]!, ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** Direct children of `pid` (zombies included: they have not been reaped yet). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const p of allPids()) {
    if (procStat(p)?.ppid === pid) out.push(p);
  }
  return out;
}

/** Every descendant of `pid`, breadth first. */
export function descendantPids(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const p of allPids()) {
    const st = procStat(p);
    if (!st) continue;
    const list = byParent.get(st.ppid) ?? [];
    list.push(p);
    byParent.set(st.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of byParent.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** argv of a process ([] when gone or a kernel thread). */
export function cmdline(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const parts = raw.split('\0');
    if (parts.at(-1) === '') parts.pop();
    return parts;
  } catch {
    return [];
  }
}

/** Resident set size in bytes (VmRSS), or undefined when the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return undefined;
  }
}

/** Number of open file descriptors, or undefined when the process is gone. */
export function openFdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** What each open fd points at (socket:[…], /path, pipe:[…]); for diagnosing fd leaks. */
export function openFdTargets(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '?';
      }
    });
  } catch {
    return [];
  }
}

/**
 * Descendants of `rootPid` that are ffmpeg processes reading `inputUrlPrefix` (`-i <url>`), i.e.
 * packagers, as opposed to publishers that write to the same URL.
 */
export function ffmpegReadersOf(rootPid: number, inputUrlPrefix: string): number[] {
  return descendantPids(rootPid).filter((p) => {
    if (!isRunning(p)) return false;
    const argv = cmdline(p);
    if (!argv.length || !/ffmpeg$/.test(argv[0]!.split('/').pop() ?? '')) return false;
    const i = argv.indexOf('-i');
    return i >= 0 && (argv[i + 1] ?? '').startsWith(inputUrlPrefix);
  });
}

/** Every running (non-zombie) ffmpeg among the descendants of `rootPid`. */
export function ffmpegDescendants(rootPid: number): number[] {
  return descendantPids(rootPid).filter((p) => isRunning(p) && /(^|\/)ffmpeg$/.test(cmdline(p)[0] ?? ''));
}

/** Polls until `pid` is gone (or a zombie), up to `timeoutMs`; returns whether it went. */
export async function waitForExit(pid: number, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return !isRunning(pid);
}

/** Sum of CPU ticks and RSS over a set of pids (processes that vanished count as 0). */
export function sumUsage(pids: number[]): { cpuTicks: number; rssBytes: number } {
  let cpuTicks = 0;
  let rss = 0;
  for (const p of pids) {
    cpuTicks += procStat(p)?.cpuTicks ?? 0;
    rss += rssBytes(p) ?? 0;
  }
  return { cpuTicks, rssBytes: rss };
}

/** Bytes used on disk under `dir` (du -sb), 0 when missing. */
export function diskUsageBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0]) || 0;
  } catch {
    return 0;
  }
}

/** Machine-wide CPU ticks from /proc/stat: busy (all but idle and iowait) and total, summed over cores. */
export function machineCpuTicks(): { busy: number; total: number } {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = first.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (first[3] ?? 0) + (first[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
