import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * A crash must not write the photos in memory to disk. Two layers, set at start before any
 * photo exists:
 * - prctl(PR_SET_DUMPABLE, 0): the kernel writes no core at all for a non-dumpable process, also
 *   not through a piped core_pattern (systemd-coredump, apport), which ignores RLIMIT_CORE and
 *   would land the dump in the host's /var even from a read-only container. It also stops
 *   same-user ptrace; root (CAP_SYS_PTRACE) can still read /proc/PID/mem (the memory scan), and
 *   /proc/PID/* files become root-owned.
 * - setrlimit(RLIMIT_CORE, {0, 0}): no core file even if something made the process dumpable again
 *   (an exec, a setuid change); a hard limit of 0 cannot be raised back without CAP_SYS_RESOURCE.
 *
 * The calls go through koffi (an FFI whose prebuilt binaries come inside its npm packages: no
 * compiler, no download at install). Node has no API for either call, and `ulimit -c 0` in a
 * wrapper script would only cover the second layer and only where that script is used.
 */

const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;
const RLIMIT_CORE = 4; // the same number on Linux x86-64, arm64, and on the BSDs/macOS

export interface HardeningResult {
  /** False only off Linux, where prctl does not exist (development on macOS). */
  readonly supported: boolean;
  readonly dumpable: boolean;
  /** Soft and hard core limits as /proc/self/limits reports them after the calls. */
  readonly coreLimit: { soft: string; hard: string } | undefined;
}

export class HardeningError extends Error {}

interface Libc {
  prctl(option: number, a2: number, a3: number, a4: number, a5: number): number;
  setrlimit(resource: number, limit: { cur: number; max: number }): number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  // koffi is CommonJS with a native addon; loaded on first use only.
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as typeof import('koffi');
  const lib = koffi.load(process.platform === 'linux' ? 'libc.so.6' : 'libc.dylib');
  koffi.struct('mayfly_rlimit', { cur: 'uint64', max: 'uint64' });
  libc = {
    prctl: lib.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as Libc['prctl'],
    setrlimit: lib.func('int setrlimit(int resource, _In_ mayfly_rlimit *rlim)') as Libc['setrlimit'],
  };
  return libc;
}

function coreLimit(): { soft: string; hard: string } | undefined {
  const line = readFileSync('/proc/self/limits', 'latin1').split('\n').find((l) => l.startsWith('Max core file size'));
  const fields = line?.slice('Max core file size'.length).trim().split(/\s+/);
  return fields && fields.length >= 2 ? { soft: fields[0]!, hard: fields[1]! } : undefined;
}

/** Makes the process non-dumpable with a core limit of 0; throws HardeningError if that did not hold. */
export function hardenProcess(): HardeningResult {
  if (process.platform !== 'linux') {
    try {
      loadLibc().setrlimit(RLIMIT_CORE, { cur: 0, max: 0 });
    } catch {
      // best effort off Linux: the service is built and proven for Linux only
    }
    return { supported: false, dumpable: true, coreLimit: undefined };
  }
  const c = loadLibc();
  if (c.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) !== 0) throw new HardeningError('prctl(PR_SET_DUMPABLE, 0) failed');
  if (c.setrlimit(RLIMIT_CORE, { cur: 0, max: 0 }) !== 0) throw new HardeningError('setrlimit(RLIMIT_CORE, 0) failed');
  // Checked, not assumed: the answer comes from the kernel, not from the calls' return codes.
  const dumpable = c.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) !== 0;
  const limit = coreLimit();
  if (dumpable || limit?.soft !== '0' || limit.hard !== '0') {
    throw new HardeningError(`process still dumpable (${String(dumpable)}) or core limit not 0 (${JSON.stringify(limit)})`);
  }
  return { supported: true, dumpable, coreLimit: limit };
}

/**
 * Node options that write process state to disk: diagnostic reports (which also hold the
 * environment, i.e. API keys) and heap snapshots/profiles (which hold the photos themselves).
 * Underscore spellings are normalised, as Node accepts both.
 */
const DISK_DIAGNOSTICS = [
  /^--report-on-fatalerror$/, /^--report-uncaught-exception$/, /^--report-on-signal$/, /^--report-signal\b/,
  /^--report-directory\b/, /^--report-filename\b/, /^--report-exclude-network$/, /^--experimental-report$/,
  /^--heapsnapshot-signal\b/, /^--heapsnapshot-near-heap-limit\b/, /^--heap-prof\b/, /^--cpu-prof\b/,
  /^--prof$/, /^--prof-process$/, /^--diagnostic-dir\b/, /^--trace-event-categories\b/, /^--trace-events-enabled$/,
];

/** The disk-writing diagnostic flags among `execArgv` and the words of NODE_OPTIONS. */
export function diskDiagnosticFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const words = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((w) => w.startsWith('--'));
  const normalised = words.map((w) => {
    const eq = w.indexOf('=');
    const name = (eq < 0 ? w : w.slice(0, eq)).replace(/_/g, '-');
    return name;
  });
  return [...new Set(normalised.filter((name) => DISK_DIAGNOSTICS.some((re) => re.test(name))))];
}

/**
 * Refuses to run with a disk-writing diagnostic turned on (the caller exits): a warning in a log
 * is easy to miss, and one report or snapshot would put every photo in memory on disk. Also
 * switches process.report's runtime triggers off, in case a library turned one on.
 */
export function refuseDiskDiagnostics(
  execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): void {
  const flags = diskDiagnosticFlags(execArgv, nodeOptions);
  if (flags.length > 0) {
    throw new HardeningError(`Refusing to start with Node diagnostics that write memory or the environment to disk: ${flags.join(', ')} `
      + '(from the node command line or NODE_OPTIONS). Remove them: photos must never reach a file.');
  }
  const report = process.report;
  if (report) {
    report.reportOnFatalError = false;
    report.reportOnSignal = false;
    report.reportOnUncaughtException = false;
  }
}
