import type { Sample } from './stats.js';

/**
 * Answers that mean the run is misconfigured rather than the service loaded: a wrong --key
 * (401, 403), a wrong --endpoint or --url path (404), nothing listening at --url (connection
 * refused, unknown host). Sending more of them only measures the mistake.
 */
export function configurationError(sample: Sample): string | undefined {
  switch (sample.status) {
    case 401: return '401 Unauthorized: check --key';
    case 403: return '403 Forbidden: check that --key has the scope of --endpoint';
    case 404: return '404 Not Found: check --url and --endpoint';
    case 0:
      if (sample.error === 'ECONNREFUSED') return 'connection refused: nothing listens at --url';
      if (sample.error === 'ENOTFOUND') return 'unknown host in --url';
      return undefined;
    default: return undefined;
  }
}

/** How many first answers must all be configuration errors to stop the run. */
export const EARLY_ANSWERS = 3;

/**
 * Watches the first answers of a run (in arrival order): when the first EARLY_ANSWERS are all
 * configuration errors, returns the reason to stop (and keeps returning it); once one of the
 * first answers is not, it never stops the run.
 */
export class EarlyStop {
  private seen = 0;
  private reasons = new Set<string>();
  private cleared = false;
  reason: string | undefined;

  observe(sample: Sample): string | undefined {
    if (this.reason !== undefined || this.cleared) return this.reason;
    const reason = configurationError(sample);
    if (reason === undefined) {
      this.cleared = true;
      return undefined;
    }
    this.reasons.add(reason);
    if (++this.seen >= EARLY_ANSWERS) this.reason = [...this.reasons].join('; ');
    return this.reason;
  }
}
