/**
 * Reads `strace -f -y` output and finds every syscall that could put something on disk: an open
 * with write/create/truncate flags, or creat/rename/unlink/rmdir/mkdir/truncate/ftruncate/link/
 * symlink/mknod — on a path outside /dev and /proc (memfd, sockets, pipes are not paths on disk).
 */
export const TRACED_SYSCALLS = [
  'open', 'openat', 'openat2', 'creat', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'rmdir',
  'mkdir', 'mkdirat', 'truncate', 'ftruncate', 'link', 'linkat', 'symlink', 'symlinkat', 'mknod', 'mknodat',
] as const;

export function straceArgs(): string[] {
  // -y prints the path behind each fd (ftruncate on a file, dirfds); --seccomp-bpf stops the
  // tracee only on the listed syscalls, which keeps the server usable under trace.
  // A leading '?' lets strace skip a name the architecture lacks (arm64 has no open/creat/…).
  return ['-f', '-qq', '-y', '-s', '512', '--seccomp-bpf', '-e', `trace=${TRACED_SYSCALLS.map((s) => `?${s}`).join(',')}`];
}

const OPENS = new Set(['open', 'openat', 'openat2']);
const WRITE_FLAGS = /\b(O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND)\b/;
const LINE = /^(?:\[pid\s+\d+\]\s+)?(\w+)\((.*)$/;

/** The first path a syscall line names: a quoted string, or the `<path>` of an fd printed by -y. */
function pathsOf(args: string): string[] {
  const quoted = [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
  if (quoted.length > 0) {
    // A relative path is relative to the dirfd printed before it (AT_FDCWD</cwd> or 5</dir>).
    const dir = /^[\w]+<([^>]*)>,/.exec(args)?.[1];
    return quoted.map((p) => (p.startsWith('/') || !dir ? p : `${dir}/${p}`));
  }
  const fdPath = /^\d+<([^>]*)>/.exec(args)?.[1];
  return fdPath === undefined ? [] : [fdPath];
}

function isOnDisk(path: string): boolean {
  if (!path.startsWith('/')) return false; // socket:[…], pipe:[…], anon_inode:…
  if (path.startsWith('/memfd:')) return false;
  return !/^\/(dev|proc)(\/|$)/.test(path);
}

export interface DiskWrite {
  readonly syscall: string;
  readonly path: string;
  readonly line: string;
}

export function findDiskWrites(trace: string): DiskWrite[] {
  const found: DiskWrite[] = [];
  for (const line of trace.split('\n')) {
    const match = LINE.exec(line.trim());
    if (!match) continue;
    const [, syscall, args] = match as unknown as [string, string, string];
    if (!(TRACED_SYSCALLS as readonly string[]).includes(syscall)) continue;
    const paths = pathsOf(args);
    if (OPENS.has(syscall)) {
      // The flags follow the path; the path itself may contain anything.
      const afterPath = args.slice(args.indexOf('"', args.indexOf('"') + 1) + 1);
      if (!WRITE_FLAGS.test(afterPath)) continue;
    }
    for (const path of paths) if (isOnDisk(path)) found.push({ syscall, path, line: line.trim() });
  }
  return found;
}
