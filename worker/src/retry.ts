// Capped exponential backoff with full jitter, as a pure function, and a retry loop built on it.
import { setTimeout as sleep } from "node:timers/promises";

export interface BackoffOptions {
  /** The delay before the first retry, before jitter. */
  readonly baseMs: number;
  /** The largest delay. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (0 for the first retry): min(maxMs, baseMs x 2^attempt), scaled by
 * `random` in [0, 1) ("full jitter", so that many agents recovering from one RPC outage do not retry in step).
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random = Math.random(),
): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt must be a whole number >= 0, got ${attempt}`);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(ceiling * random);
}

/**
 * Calls `fn` until it succeeds, waiting `backoffDelay` between attempts, for as long as `isRetryable` says the error
 * is transient; any other error is thrown at once. `signal` stops the waiting (the last error is thrown).
 */
export async function retry<T>(
  fn: () => Promise<T>,
  options: {
    isRetryable: (error: unknown) => boolean;
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
    backoff?: BackoffOptions;
    signal?: AbortSignal;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!options.isRetryable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(attempt, options.backoff);
      options.onRetry?.(error, attempt, delayMs);
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        throw error;
      }
    }
  }
}
