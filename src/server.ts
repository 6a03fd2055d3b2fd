// Must stay the first import: it sets the native libraries' environment before sharp loads.
import './privacy/native-env.js';
import { ConfigError, loadConfig } from './config.js';
import { startService } from './main.js';
import { TemplateError } from './pipeline/templates/load.js';
import { HardeningError, hardenProcess, refuseDiskDiagnostics } from './privacy/process-hardening.js';

/** Production entry point (`node dist/src/server.js`). */
// Before anything else runs: a crash from here on writes no core file, and no Node diagnostic
// may put memory on disk (see privacy/process-hardening.ts). Failing either stops the boot.
let hardening;
try {
  refuseDiskDiagnostics();
  hardening = hardenProcess();
} catch (error) {
  if (error instanceof HardeningError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
if (!hardening.supported) {
  console.error(`WARNING: ${process.platform} is not Linux: the process could not be made non-dumpable; a crash may write a core file holding photos.`);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

let service;
try {
  service = await startService(config);
} catch (error) {
  // A broken template or key file is a configuration problem: its message, exit 2, no stack.
  if (error instanceof TemplateError || error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
if (service.devKey) {
  // Printed once, on the console only: it is never logged as a field, stored or written to disk.
  process.stderr.write(`\n  No API keys configured. Development key for this run only:\n\n    ${service.devKey}\n\n`
    + '  Send it as "Authorization: Bearer <key>" or "X-API-Key: <key>". Configure API_KEYS or API_KEYS_FILE for real use.\n\n');
}
service.ready.catch((error: unknown) => {
  service.logger.fatal({ err: error }, 'models failed to load');
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ signal }, 'shutting down');
    service.stop().then(() => process.exit(0), (error: unknown) => {
      service.logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  });
}
