// What every role's main loop is made of: a tick repeated until stopped, riding out RPC outages with backoff; and a
// durable cursor over confirmed blocks, moved only past a range whose every log was handled.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Log, PublicClient } from "viem";
import { isTransient, TransactionFailed } from "./chain.ts";
import { backoffDelay, retry } from "./retry.ts";

/** Blocks asked for in one `eth_getLogs` range. */
export const LOG_RANGE = 2_000n;

/**
 * Calls `tick` every `intervalMs` until `signal` aborts. A transient failure (the RPC endpoint, or a transaction that
 * failed on state that changed under it) waits with capped, jittered backoff and tries again; any other error is thrown.
 */
export async function runLoop(
  tick: () => Promise<void>,
  options: { intervalMs: number; signal: AbortSignal; log: Logger; nudge?: Nudge },
): Promise<void> {
  const { intervalMs, signal, log } = options;
  const nudge = options.nudge ?? new Nudge();
  let failures = 0;
  while (!signal.aborted) {
    try {
      await tick();
      failures = 0;
      await nudge.wait(intervalMs, signal);
    } catch (error) {
      if (!isTransient(error)) throw error;
      const delayMs = backoffDelay(Math.min(failures, 20));
      failures += 1;
      const what = error instanceof TransactionFailed ? "a transaction failed" : "RPC unavailable";
      log.warn({ err: error, failures, delayMs }, `${what}; retrying`);
      await sleep(delayMs, undefined, { signal }).catch(() => {});
    }
  }
}

/** Lets work done outside a loop's tick (a model run finishing) start the next tick now rather than after the
 * interval. */
export class Nudge {
  private pending = false;
  private wakeUp: (() => void) | undefined;

  /** Ends the current wait, or the next one if none is under way. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  /** Waits `ms`, or until woken or `signal` aborts. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return;
    }
    const woken = new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    await Promise.race([woken, sleep(ms, undefined, { signal }).catch(() => {})]);
    this.wakeUp = undefined;
    this.pending = false;
  }
}

/** Runs `fn` until it succeeds or fails for a reason other than an RPC outage (or `signal` aborts). */
export function untilRpcAnswers<T>(what: string, fn: () => Promise<T>, signal: AbortSignal, log: Logger): Promise<T> {
  return retry(fn, {
    isRetryable: isTransient,
    signal,
    onRetry: (error, attempt, delayMs) =>
      log.warn({ err: error, attempt, delayMs }, `${what}: RPC unavailable; retrying`),
  });
}

/**
 * Hands `handle` each range of confirmed blocks (at least `confirmations` deep) after `cursor`, at most `LOG_RANGE`
 * blocks at a time, and calls `advance(to)` after each range is handled. A failure stops the sweep before `advance`,
 * so the range is handed over again next time: `handle` must be idempotent.
 */
export async function sweepConfirmed(options: {
  client: PublicClient;
  confirmations: bigint;
  cursor: bigint;
  handle: (from: bigint, to: bigint) => Promise<void>;
  advance: (to: bigint) => Promise<void>;
}): Promise<void> {
  const head = await options.client.getBlockNumber();
  const last = head - options.confirmations;
  for (let from = options.cursor + 1n; from <= last; ) {
    const to = from + LOG_RANGE - 1n < last ? from + LOG_RANGE - 1n : last;
    await options.handle(from, to);
    await options.advance(to);
    from = to + 1n;
  }
}

/** Orders logs as the chain did: by block, then by position in the block. */
export function byPosition(a: Log, b: Log): number {
  const block = Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n));
  return block !== 0 ? block : (a.logIndex ?? 0) - (b.logIndex ?? 0);
}

/** A signal that aborts on the first SIGINT or SIGTERM. */
export function stopOnSignals(log: Logger): AbortSignal {
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log.info({ signal }, "stopping");
      stop.abort();
    });
  }
  return stop.signal;
}
