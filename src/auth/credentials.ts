import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config.js';
import { createJwtVerifier, type JwtVerifier } from './jwt-verifier.js';
import { parseKeyFile } from './key-file.js';
import { createKeyStore, storedKey, type KeyStore } from './key-store.js';

/**
 * Everything that can vouch for a caller, built once at boot from the config. With no keys and
 * no JWT settings the service is still never open: a random development key is generated, kept
 * only in memory, and handed back so the entry point can print it once on the console.
 */
export interface Credentials {
  readonly keys: KeyStore;
  readonly jwt?: JwtVerifier;
  /** Set only when nothing was configured. */
  readonly devKey?: string;
}

export const DEV_KEY_ID = 'dev';

export async function loadCredentials(
  config: Config, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Promise<Credentials> {
  const jwt = config.jwt ? await createJwtVerifier(config.jwt) : undefined;
  if (config.apiKeysFile !== undefined) {
    let text: string;
    try {
      text = readFile(config.apiKeysFile);
    } catch (error) {
      throw new ConfigError([`API_KEYS_FILE could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
    const parsed = parseKeyFile(text);
    if ('problems' in parsed) throw new ConfigError(parsed.problems);
    return { keys: createKeyStore(parsed.keys), jwt };
  }
  if (config.apiKeys.length > 0 || jwt) {
    return { keys: createKeyStore(config.apiKeys.map((k) => storedKey(k.id, k.key))), jwt };
  }
  const devKey = `mk_dev_${randomBytes(24).toString('base64url')}`;
  return { keys: createKeyStore([storedKey(DEV_KEY_ID, devKey)]), devKey };
}
