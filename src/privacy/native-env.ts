/**
 * Environment for the native libraries, set before sharp/libvips is loaded (this module must be
 * the first import of the entry point; ESM evaluates imports in order). Node's process.env
 * setter calls setenv(3), so libvips and glib see these values when they first read them.
 *
 * - VIPS_DISC_THRESHOLD: libvips spills decoded images over 100 MB to a temp file when random
 *   access is needed; a huge threshold keeps every image in memory.
 * - TMPDIR: points at a path that does not exist, so any temp file that still slipped through
 *   would fail instead of landing on disk.
 * - HOME / XDG_CACHE_HOME: fontconfig writes a cache under $HOME/.cache when text is rendered;
 *   pointing both at a non-existent path makes that impossible.
 */
export const NO_DISK_PATH = '/nonexistent/mayfly-no-disk';

const settings: Record<string, string> = {
  VIPS_DISC_THRESHOLD: '1000gb',
  TMPDIR: NO_DISK_PATH,
  HOME: NO_DISK_PATH,
  XDG_CACHE_HOME: NO_DISK_PATH,
};

for (const [name, value] of Object.entries(settings)) process.env[name] = value;
