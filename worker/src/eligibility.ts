// Which workers may claim a job now: JobMarket's claimJob rule (contracts/JobMarket.sol, JobNotEligible), so that a
// client can tell a requester before sending a job that no one, or too few, could take it. Pure, browser-safe.

/** A worker as JobMarket's `worker(id)` returns it (the fields the rule reads). */
export interface WorkerTerms {
  readonly stake: bigint;
  readonly locked: bigint;
  readonly pricePerJob: bigint;
  readonly paused: boolean;
}

/** Whether a worker serving the model may claim a job paying `maxFeePerWorker`: unpaused, at that price or less, and
 * with `minStake` of its stake not locked by other claims. */
export function mayClaim(worker: WorkerTerms, maxFeePerWorker: bigint, minStake: bigint): boolean {
  const free = worker.stake > worker.locked ? worker.stake - worker.locked : 0n;
  return !worker.paused && worker.pricePerJob <= maxFeePerWorker && free >= minStake;
}
