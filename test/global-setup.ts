import { execFileSync } from 'node:child_process';

/** The detect workers (and the spawned server in system tests) run compiled code from dist/. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
