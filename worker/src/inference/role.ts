// The inference role: a staked JobMarket worker. It follows JobRequested over confirmed blocks from a durable cursor,
// and for each job of a model it serves (never more than its concurrency at a time) fetches and checks the input,
// runs the model and stores the canonical output, then claims the job with a commitment to its signed result (results
// are sealed: nobody sees an output before every commitment is in). Once the job's reveals open it reveals the result
// (EIP-712 JobResult, with the salt that opens the commitment); an input that fails its checks is not claimed at all.
// As the job goes on it closes phases whose time is up (the commit phase at the deadline, the reveals at theirs), draws
// and closes a re-execution round, and finalizes a proposal it is part of once the challenge window is over. A
// proposal that contradicts the output it computed (whether it claimed the job or found its places taken) it
// challenges, posting the bond from its key's FOLD. Drawn for a round's committee (CommitteeDrawn names it), it
// re-runs the job, commits and reveals at its seat the same way.
//
// Durable and idempotent: each job's step is in the job store (./job-store.ts) before the transaction that ends it is
// sent, and a job found mid-step after a restart is reconciled with the chain (a claim or reveal already on-chain
// counts as done). The salt is derived from the key's deterministic signature over the result, so the commitment a
// restarted worker computes is the one it sent. One loop sends every transaction, one at a time: each round's calls
// (reveals, phase closes and finalizations, then new claims) go in one JobMarket `multicall`, so a busy worker spends a
// block per round rather than per call. Models run beside the loop. On SIGINT/SIGTERM the role stops taking jobs,
// finishes the ones in flight (up to a drain timeout), then stops.
import type { Logger } from "pino";
import type { Account, Address, Hex } from "viem";
import {
  type BatchCall,
  type Chainlink,
  contractAbi,
  isTransient,
  revertName,
  sendBatch,
  sendContract,
} from "../chain.ts";
import { byPosition, Nudge, runLoop, sweepConfirmed } from "../loop.ts";
import { backoffDelay } from "../retry.ts";
import { fetchInput, type InputPolicy, InputUnreachable } from "./input.ts";
import { sealJobResult } from "./job-result.ts";
import { IN_FLIGHT, type JobStore, type StoredJob } from "./job-store.ts";
import type { InferenceModel } from "./models/index.ts";
import { EndpointError } from "./models/openai.ts";
import { type EncodedOutput, encodeOutput, InputError, MAX_INLINE_OUTPUT } from "./output.ts";
import type { WorkerMetrics } from "./server.ts";

/** JobMarket's JobState and ClaimState, by name. */
const JobState = { Open: 1, Revealing: 2, Proposed: 3, Disputed: 4, Final: 5, Unresolved: 6, Refunded: 7 } as const;
const ClaimState = { Drawn: 1, Committed: 2, Revealed: 3, Silent: 4, Slashed: 5 } as const;
const ENDED: readonly number[] = [JobState.Final, JobState.Unresolved, JobState.Refunded];
/** Reverts of claimJob that mean the job is not for us (any more). */
const NOT_CLAIMABLE = new Set(["JobWrongState", "JobDeadline", "JobNotEligible"]);
/** Reverts of commitResult that mean the seat can no longer be taken (its commit time is over, or the round ended). */
const SEAT_MISSED = new Set(["JobWindow", "JobWrongState", "JobNoClaim"]);
/** A step failing this many times for a reason that is not transient gives the job up. */
const MAX_ATTEMPTS = 3;
/** How long a job waits when our free stake cannot back another claim. */
const STAKE_RETRY_MS = 15_000;
/** How often a committed or revealed job's state is read (to reveal, close a phase, finalize, or learn it is over). */
const FOLLOW_UP_MS = 5_000;
/** How long a computed job's claim waits for jobs whose models started in the same tick and still run, so that jobs
 * computed together are claimed in one transaction. */
const COHORT_WAIT_MS = 2_000;

/** A transaction a job's step wants sent, and what follows from its fate: `error` is undefined once it is mined, else
 * its revert or what stopped the send (the round then fails with it, and the step is tried again). */
interface Call extends BatchCall {
  readonly settle: (error: unknown) => Promise<void>;
}

/** What running a job's model came to: its output, or the error that stopped it. */
type Produced = { model: InferenceModel; encoded: EncodedOutput; modelMs: number } | { error: unknown };

/** A claim of ours as the chain has it, with its entry. */
interface OurClaim {
  readonly entry: bigint;
  readonly state: number;
  readonly outputHash: Hex;
}

export interface InferenceRoleOptions {
  readonly concurrency: number;
  readonly pollIntervalMs: number;
  readonly confirmations: bigint;
  readonly finalize: boolean;
  /** Challenge a proposal that contradicts the output we computed (the bond comes from the key's FOLD). */
  readonly challenge: boolean;
  readonly minTimeLeftSeconds: number;
  readonly input: InputPolicy;
  /** The base URL output URIs start with (the worker's HTTP server). */
  readonly outputBaseUrl: string;
  /** How long a stopping worker waits for its jobs in flight. */
  readonly drainTimeoutMs: number;
}

export interface InferenceRoleDeps {
  readonly chain: Chainlink;
  /** The Worker key: it claims, signs and sends. */
  readonly account: Account & { address: Address };
  readonly workerId: bigint;
  /** The models served, by on-chain model id. */
  readonly models: ReadonlyMap<bigint, InferenceModel>;
  readonly store: JobStore;
  readonly log: Logger;
  readonly metrics: WorkerMetrics;
  readonly options: InferenceRoleOptions;
}

/** The worker's identity, from its Worker key, and the registered models it serves with the weights it loaded. */
export async function resolveWorker(
  chain: Chainlink,
  key: Address,
  loaded: readonly InferenceModel[],
): Promise<{ workerId: bigint; models: Map<bigint, InferenceModel>; unmatched: InferenceModel[] }> {
  const client = chain.publicClient;
  const market = { address: chain.deployment("JobMarket").address, abi: contractAbi("JobMarket") } as const;
  const identities = {
    address: chain.deployment("IdentityRegistry").address,
    abi: contractAbi("IdentityRegistry"),
  } as const;
  const [workerId, purpose, active] = await client.readContract({
    ...identities,
    functionName: "keyInfo",
    args: [key],
  });
  if (!active || purpose !== 2) {
    throw new WorkerSetupError(
      `${key} is not an active Worker key: bind it to the worker's identity with purpose Worker (IdentityRegistry.bindKey)`,
    );
  }
  const worker = await client.readContract({ ...market, functionName: "worker", args: [workerId] });
  if (!worker.registered) {
    throw new WorkerSetupError(
      `identity ${workerId} is not a JobMarket worker: register it (JobMarket.registerWorker)`,
    );
  }
  const models = new Map<bigint, InferenceModel>();
  const count = await client.readContract({ ...market, functionName: "modelCount" });
  for (let id = 1n; id <= count; id++) {
    const [model, serves] = await Promise.all([
      client.readContract({ ...market, functionName: "model", args: [id] }),
      client.readContract({ ...market, functionName: "serves", args: [workerId, id] }),
    ]);
    const match = loaded.find((m) => m.modelHash.toLowerCase() === model.modelHash.toLowerCase());
    if (serves && match !== undefined) models.set(id, match);
  }
  const unmatched = loaded.filter((m) => ![...models.values()].includes(m));
  return { workerId, models, unmatched };
}

/** The worker cannot work as configured on this chain (its key or registration): told to the operator, then exit. */
export class WorkerSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerSetupError";
  }
}

export class InferenceRole {
  private readonly deps: InferenceRoleDeps;
  private readonly market;
  private readonly nudge = new Nudge();
  /** Jobs whose input is being fetched or whose model is running. */
  private readonly running = new Set<bigint>();
  /** When a job's next attempt (or follow-up) is due, in ms since the epoch. */
  private readonly notBefore = new Map<bigint, number>();
  /** The tick each running or computed job's model was started in (its cohort), and when its model finished. */
  private readonly cohort = new Map<bigint, number>();
  private readonly computedAt = new Map<bigint, number>();
  private ticks = 0;
  /** Jobs whose challenge the market refused (no committee could be drawn, say): not tried again. */
  private readonly refusedChallenges = new Set<bigint>();
  private draining = false;
  private lastTickMs = 0;
  private lastError: string | undefined;

  constructor(deps: InferenceRoleDeps) {
    this.deps = deps;
    this.market = { address: deps.chain.deployment("JobMarket").address, abi: contractAbi("JobMarket") } as const;
  }

  /** What /healthz reports: healthy while ticks succeed. */
  health(): { ok: boolean; [detail: string]: unknown } {
    const sinceTickMs = Date.now() - this.lastTickMs;
    const ok = this.lastTickMs > 0 && sinceTickMs < Math.max(30_000, 5 * this.deps.options.pollIntervalMs);
    return {
      ok,
      workerId: this.deps.workerId.toString(),
      models: [...this.deps.models].map(([id, m]) => ({ id: id.toString(), backend: m.backend, hash: m.modelHash })),
      running: this.running.size,
      draining: this.draining,
      lastTickMsAgo: this.lastTickMs === 0 ? null : sinceTickMs,
      ...(ok || this.lastError === undefined ? {} : { error: this.lastError }),
    };
  }

  /** Runs until `signal` aborts, then drains: jobs in flight are finished (up to the drain timeout). */
  async run(signal: AbortSignal): Promise<void> {
    const { log, options } = this.deps;
    const stop = new AbortController();
    const onAbort = () => {
      this.draining = true;
      log.info({ running: this.running.size }, "draining: no new claims; finishing the jobs in flight");
      setTimeout(() => stop.abort(), options.drainTimeoutMs).unref();
      this.nudge.wake();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    log.info(
      { workerId: this.deps.workerId, key: this.deps.account.address, models: Object.fromEntries(this.modelList()) },
      "inference role running",
    );
    await runLoop(
      async () => {
        try {
          await this.tick();
        } catch (error) {
          this.lastError = (error as Error).message;
          throw error;
        }
        if (this.draining && (await this.inFlight()) === 0) stop.abort();
      },
      { intervalMs: options.pollIntervalMs, signal: stop.signal, log, nudge: this.nudge },
    );
    const left = await this.inFlight();
    if (left > 0) log.warn({ left }, "stopped with jobs in flight: they resume at the next start");
    log.info("inference role stopped");
  }

  private modelList(): [string, string][] {
    return [...this.deps.models].map(([id, m]) => [id.toString(), `${m.backend} ${m.modelHash}`]);
  }

  /** One round: new requests, then each open job's next step and new claims (their transactions sent together), and
   * model runs. */
  async tick(): Promise<void> {
    const { chain, store, options, metrics } = this.deps;
    await sweepConfirmed({
      client: chain.publicClient,
      confirmations: options.confirmations,
      cursor: await store.cursor(),
      handle: (from, to) => this.collect(from, to),
      advance: async (to) => {
        await store.setCursor(to);
        metrics.cursor.set(Number(to));
      },
    });
    const now = (await chain.publicClient.getBlock()).timestamp;
    const jobs = await store.openJobs();
    let inFlight = jobs.filter((job) => IN_FLIGHT.includes(job.state)).length + this.running.size;
    const steps: Call[] = [];
    const claims: Call[] = [];
    const tickNo = ++this.ticks;
    try {
      for (const job of jobs) {
        if (this.running.has(job.jobId) || Date.now() < (this.notBefore.get(job.jobId) ?? 0)) continue;
        if (job.state === "seen") {
          // A committee seat is owed (silence is penalized): it runs whatever the concurrency, even while draining.
          if (!job.member && (this.draining || inFlight >= options.concurrency)) continue;
          if (await this.start(job, now)) {
            inFlight += 1;
            this.cohort.set(job.jobId, tickNo);
          }
        } else if (job.state === "watching") {
          const challenge = await this.watch(job, now);
          if (challenge !== undefined) steps.push(challenge);
        } else if (job.state === "computed") {
          if (this.waitsForCohort(job.jobId)) continue;
          const claim = await this.claim(job, now);
          if (claim !== undefined) claims.push(claim);
        } else {
          const step = await this.step(job, now);
          if (step !== undefined) steps.push(step);
        }
      }
    } catch (error) {
      // Nothing was sent: the calls planned so far learn so, then the round fails.
      for (const call of [...steps, ...claims]) await call.settle(error).catch(() => {});
      throw error;
    }
    // Forget the cohorts of jobs that neither run nor wait to be claimed (given up, or claimed) any more.
    const waiting = new Set(jobs.filter((job) => job.state === "computed").map((job) => job.jobId));
    for (const [jobId] of this.cohort) {
      const since = Date.now() - (this.computedAt.get(jobId) ?? Date.now());
      if (this.running.has(jobId) || waiting.has(jobId) || since < COHORT_WAIT_MS) continue;
      this.cohort.delete(jobId);
      this.computedAt.delete(jobId);
    }
    // Settling calls first: a finalization unlocks stake a claim in the same batch may need.
    await this.send([...steps, ...claims]);
    metrics.inFlight.set(await this.inFlight());
    this.lastTickMs = Date.now();
    this.lastError = undefined;
  }

  /** Whether a computed job's claim waits (briefly) for jobs started with it whose models still run. */
  private waitsForCohort(jobId: bigint): boolean {
    const cohort = this.cohort.get(jobId);
    const computedAt = this.computedAt.get(jobId);
    if (cohort === undefined || computedAt === undefined || Date.now() - computedAt >= COHORT_WAIT_MS) {
      this.cohort.delete(jobId);
      this.computedAt.delete(jobId);
      return false;
    }
    for (const running of this.running) if (this.cohort.get(running) === cohort) return true;
    this.cohort.delete(jobId);
    this.computedAt.delete(jobId);
    return false;
  }

  private async inFlight(): Promise<number> {
    const counts = await this.deps.store.counts();
    return IN_FLIGHT.reduce((sum, state) => sum + counts[state], 0) + this.running.size;
  }

  /** Records the requests for our models, and the committee seats drawn for us, in a range of confirmed blocks. */
  private async collect(fromBlock: bigint, toBlock: bigint): Promise<void> {
    const { chain, store, models, log, workerId } = this.deps;
    if (models.size === 0) return;
    const client = chain.publicClient;
    const [logs, draws] = await Promise.all([
      client.getContractEvents({
        ...this.market,
        eventName: "JobRequested",
        args: { modelId: [...models.keys()] },
        fromBlock,
        toBlock,
      }),
      client.getContractEvents({ ...this.market, eventName: "CommitteeDrawn", fromBlock, toBlock }),
    ]);
    for (const event of logs.sort(byPosition)) {
      const { jobId, modelId, request } = event.args;
      if (jobId === undefined || modelId === undefined || request === undefined || !models.has(modelId)) continue;
      await store.addJob({
        jobId,
        modelId,
        inputHash: request.inputHash,
        inputURI: request.inputURI,
        input: request.input === "0x" ? null : request.input,
        deadline: BigInt(request.deadline),
      });
    }
    for (const event of draws.sort(byPosition)) {
      const { jobId, workerIds, firstEntry } = event.args;
      const seat = workerIds?.indexOf(workerId) ?? -1;
      if (jobId === undefined || firstEntry === undefined || seat < 0) continue;
      const entry = firstEntry + BigInt(seat);
      const round = await client.readContract({ ...this.market, functionName: "round", args: [jobId] });
      if (await store.seat(jobId, entry, BigInt(round.commitEnds))) {
        log.info({ jobId, entry, commitEnds: round.commitEnds }, "drawn for the committee of a re-execution round");
      } else {
        // The draw picks workers serving the model on-chain: this one serves it without its weights loaded.
        log.error({ jobId, entry }, "drawn for a job of a model not loaded here: the seat will be penalized as silent");
      }
    }
  }

  /** Starts a job we saw requested: its model runs beside the loop. Returns whether it did (a job too close to its
   * deadline is given up). */
  private async start(job: StoredJob, now: bigint): Promise<boolean> {
    if (job.member) {
      if (now >= (job.commitEnds ?? 0n)) {
        await this.deps.store.setState(job.jobId, "done", { outcome: "seat missed: its commit time is over" });
        return false;
      }
    } else if (job.deadline - now < BigInt(this.deps.options.minTimeLeftSeconds)) {
      await this.deps.store.setState(job.jobId, "done", {
        outcome: "not claimed: too little time before the deadline",
      });
      return false;
    }
    this.compute(job);
    return true;
  }

  /** Claims a computed job with our commitment to its result (at a committee seat: commits it there). */
  private async claim(job: StoredJob, now: bigint): Promise<Call | undefined> {
    const { store, log, metrics } = this.deps;
    if (!job.member && now >= job.deadline) {
      await store.setState(job.jobId, "done", { outcome: "not claimed: the deadline passed while the model ran" });
      return undefined;
    }
    const sealed = await this.seal(job);
    if (sealed === undefined) return undefined;
    const { account, chain } = this.deps;
    const seat = job.member ? ([job.jobId, job.entry ?? 0n, sealed.commitment] as const) : undefined;
    const claim = [job.jobId, sealed.commitment] as const;
    const functionName = seat === undefined ? "claimJob" : "commitResult";
    const args = seat ?? claim;
    // A job that is not ours to claim (over, full, or beyond our free stake) takes no place in the round.
    const refused = await (seat === undefined
      ? chain.publicClient.simulateContract({ ...this.market, functionName: "claimJob", args: claim, account })
      : chain.publicClient.simulateContract({ ...this.market, functionName: "commitResult", args: seat, account })
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (refused !== undefined) {
      if (revertName(refused) === undefined) throw refused;
      await this.claimRefused(job, refused);
      return undefined;
    }
    await store.setState(job.jobId, "claiming");
    return {
      functionName,
      args,
      settle: async (error) => {
        if (error !== undefined) return this.claimRefused(job, error);
        await store.setState(job.jobId, "committed");
        const { jobId, modelId } = job;
        if (job.member) {
          metrics.seats.inc();
          log.info({ jobId, entry: job.entry, commitment: sealed.commitment }, "committee seat committed");
        } else {
          metrics.claimed.inc();
          log.info({ jobId, modelId, commitment: sealed.commitment }, "job claimed");
        }
      },
    };
  }

  /** A claim that did not land: the job is given up, waits for stake, or (after an outage) is reconciled next time. */
  private async claimRefused(job: StoredJob, error: unknown): Promise<void> {
    const { store, log } = this.deps;
    const reverted = revertName(error);
    if (reverted === undefined) return; // not sent, or not known to be mined: `claiming` is reconciled with the chain
    if (job.member && SEAT_MISSED.has(reverted)) {
      // Committed before a restart, the seat refuses another commitment: what the chain has decides.
      const seat = await this.ourClaim(job);
      if (seat?.state === ClaimState.Committed || seat?.state === ClaimState.Revealed) return this.reconcile(job);
      log.warn({ jobId: job.jobId, entry: job.entry, reverted }, "committee seat missed");
      return store.setState(job.jobId, "done", { outcome: `seat missed: ${reverted}` });
    }
    if (reverted === "JobNotWorker") {
      throw new WorkerSetupError(`${this.deps.account.address} is no longer an active Worker key of a worker`);
    }
    if (reverted === "JobNotEligible" && (await this.stakeExhausted())) {
      // Our collateral is locked by jobs still in their window: wait for them rather than give this one up.
      log.warn({ jobId: job.jobId }, "free stake below minStake: add stake, or wait for open jobs to finalize");
      await store.setState(job.jobId, "computed");
      this.notBefore.set(job.jobId, Date.now() + STAKE_RETRY_MS);
      return;
    }
    if (NOT_CLAIMABLE.has(reverted)) {
      log.debug({ jobId: job.jobId, reverted }, "job not claimable");
      // We have its output all the same: a proposal that contradicts it is worth challenging.
      const state = this.deps.options.challenge && reverted !== "JobDeadline" ? "watching" : "done";
      return store.setState(job.jobId, state, { outcome: `not claimed: ${reverted}` });
    }
    throw error;
  }

  /** The next step of a claimed job, and the transaction it needs, if any. */
  private async step(job: StoredJob, now: bigint): Promise<Call | undefined> {
    switch (job.state) {
      case "claiming":
        await this.reconcile(job);
        return undefined;
      case "committed":
        return this.reveal(job, now);
      case "revealed":
        return this.followUp(job, now);
    }
    return undefined;
  }

  /** Sets a job found mid-claim after a restart to what the chain says. */
  private async reconcile(job: StoredJob): Promise<void> {
    const claim = await this.ourClaim(job);
    const { store } = this.deps;
    if (claim === undefined || claim.state === ClaimState.Drawn) return store.setState(job.jobId, "computed");
    if (claim.state === ClaimState.Committed) return store.setState(job.jobId, "committed");
    if (claim.state === ClaimState.Revealed) return store.setState(job.jobId, "revealed");
    return store.setState(job.jobId, "done", {
      outcome: `claim ${claim.state === ClaimState.Silent ? "silent" : "slashed"}`,
    });
  }

  /** Whether the worker's stake not locked by open claims is below the collateral a claim locks. */
  private async stakeExhausted(): Promise<boolean> {
    const client = this.deps.chain.publicClient;
    const [worker, minStake] = await Promise.all([
      client.readContract({ ...this.market, functionName: "worker", args: [this.deps.workerId] }),
      client.readContract({ ...this.market, functionName: "minStake" }),
    ]);
    return BigInt(worker.stake) - BigInt(worker.locked) < minStake;
  }

  /** Our part in the job: our original claim, if any, or our committee seat. */
  private async ourClaim(stored: StoredJob): Promise<OurClaim | undefined> {
    const client = this.deps.chain.publicClient;
    const { jobId } = stored;
    if (stored.member && stored.entry !== null) {
      const seat = await client.readContract({ ...this.market, functionName: "claim", args: [jobId, stored.entry] });
      return { entry: stored.entry, state: seat.state, outputHash: seat.outputHash };
    }
    const job = await client.readContract({ ...this.market, functionName: "job", args: [jobId] });
    for (let entry = 0n; entry < BigInt(job.committed); entry++) {
      const claim = await client.readContract({ ...this.market, functionName: "claim", args: [jobId, entry] });
      if (claim.workerId === this.deps.workerId) return { entry, state: claim.state, outputHash: claim.outputHash };
    }
    return undefined;
  }

  /** Fetches the input and runs the model, beside the loop; the output (or why the job is given up) is recorded. */
  private compute(job: StoredJob): void {
    if (this.running.has(job.jobId)) return;
    this.running.add(job.jobId);
    this.produce(job)
      .then((produced) => this.record(job, produced))
      .catch((error: unknown) => this.deps.log.error({ jobId: job.jobId, err: error }, "could not record a result"))
      .finally(() => {
        this.running.delete(job.jobId);
        this.computedAt.set(job.jobId, Date.now());
        this.nudge.wake();
      });
  }

  private async produce(job: StoredJob): Promise<Produced> {
    const { metrics, models, options } = this.deps;
    const model = models.get(job.modelId);
    if (model === undefined) return { error: new Error(`model ${job.modelId} is not served`) };
    try {
      const input = await fetchInput(job, options.input);
      const started = performance.now();
      const output = await model.run(input);
      const modelMs = performance.now() - started;
      metrics.modelSeconds.observe({ backend: model.backend }, modelMs / 1_000);
      return { model, encoded: encodeOutput(output), modelMs };
    } catch (error) {
      return { error };
    }
  }

  private async record(job: StoredJob, produced: Produced): Promise<void> {
    const { store, log, metrics } = this.deps;
    if ("encoded" in produced) {
      const { model, encoded, modelMs } = produced;
      await store.saveOutput(job.jobId, encoded.hash, {
        body: encoded.bytes,
        metadata: {
          jobId: job.jobId.toString(),
          modelId: job.modelId.toString(),
          modelHash: model.modelHash,
          inputHash: job.inputHash,
          outputHash: encoded.hash,
          workerId: this.deps.workerId.toString(),
          runtime: model.runtime,
          node: process.version,
          modelMs: Math.round(modelMs),
        },
      });
      log.info({ jobId: job.jobId, outputHash: encoded.hash, modelMs: Math.round(modelMs) }, "result computed");
      return;
    }
    const { error } = produced;
    if (error instanceof InputError) {
      // Nothing on-chain: claiming would commit to nothing. The job is refunded at its deadline if nobody can run it.
      metrics.refused.inc({ reason: error.reason });
      log.warn({ jobId: job.jobId, reason: error.reason, detail: error.message }, "input unusable; not claiming");
      await store.setState(job.jobId, "done", { outcome: `not claimed (${error.reason}): ${error.message}` });
      return;
    }
    const attempts = await store.failedAttempt(job.jobId);
    metrics.failures.inc({ step: "compute" });
    if (attempts >= MAX_ATTEMPTS && !(error instanceof EndpointError)) {
      const reason = error instanceof InputUnreachable ? "InputUnavailable" : "InputMalformed";
      metrics.refused.inc({ reason });
      log.error({ jobId: job.jobId, err: error, attempts, reason }, "giving the job up; not claiming");
      await store.setState(job.jobId, "done", { outcome: `not claimed (${reason}): ${(error as Error).message}` });
      return;
    }
    const delayMs = backoffDelay(attempts, { baseMs: 1_000, maxMs: 60_000 }, 0.5 + Math.random() / 2);
    log.warn({ jobId: job.jobId, err: error, attempts, delayMs }, "could not run the job; will retry");
    this.notBefore.set(job.jobId, Date.now() + delayMs);
  }

  /** Our signed result for a computed job, the salt derived from the signature, and the commitment they make. */
  private async seal(
    job: StoredJob,
  ): Promise<{ outputHash: Hex; signature: Hex; salt: Hex; commitment: Hex; body: Uint8Array } | undefined> {
    const { store, models, chain, account, workerId } = this.deps;
    const outputHash = job.outputHash as Hex;
    const output = await store.output(outputHash);
    const model = models.get(job.modelId);
    if (output === undefined || model === undefined) {
      // Cannot happen (the output is saved with the state); recompute rather than stall.
      await store.setState(job.jobId, "seen");
      return undefined;
    }
    const sealed = await sealJobResult({
      key: account,
      chainId: chain.chain.id,
      jobMarket: this.market.address,
      jobId: job.jobId,
      modelHash: model.modelHash,
      inputHash: job.inputHash,
      outputHash,
      workerId,
      deadline: job.deadline,
    });
    return { outputHash, ...sealed, body: output.body };
  }

  /** A committed job: revealed once the reveals open (the commit phase closed by us at the deadline if need be). */
  private async reveal(job: StoredJob, now: bigint): Promise<Call | undefined> {
    const { store, log, metrics, options } = this.deps;
    this.notBefore.set(job.jobId, Date.now() + FOLLOW_UP_MS);
    const onChain = await this.deps.chain.publicClient.readContract({
      ...this.market,
      functionName: "job",
      args: [job.jobId],
    });
    const claim = await this.ourClaim(job);
    if (claim === undefined || claim.state !== ClaimState.Committed) return this.reconcile(job).then(() => undefined);
    if (job.member) {
      // A seat reveals once every seat committed, or the round's commit time is up.
      if (onChain.state !== JobState.Disputed) return undefined;
      const round = await this.deps.chain.publicClient.readContract({
        ...this.market,
        functionName: "round",
        args: [job.jobId],
      });
      if (round.revealEnds === 0 || now >= BigInt(round.revealEnds)) return undefined;
    } else if (onChain.state === JobState.Open) {
      if (now < BigInt(onChain.deadline)) return undefined;
      return this.settling(job, "closeCommits", [job.jobId], () =>
        log.info({ jobId: job.jobId }, "commit phase closed"),
      );
    } else if (onChain.state !== JobState.Revealing) return undefined;
    const sealed = await this.seal(job);
    if (sealed === undefined) return undefined;
    const { outputHash, salt, signature, body } = sealed;
    const inline = body.length <= MAX_INLINE_OUTPUT ? Buffer.from(body).toString("hex") : "";
    const outputURI = `${options.outputBaseUrl}/outputs/${outputHash}`;
    this.notBefore.delete(job.jobId);
    return {
      functionName: "revealResult",
      args: [job.jobId, claim.entry, outputHash, salt, outputURI, `0x${inline}`, signature],
      settle: async (error) => {
        if (error === undefined) {
          await store.setState(job.jobId, "revealed");
          metrics.revealed.inc();
          log.info({ jobId: job.jobId, outputHash, outputURI }, "result revealed");
          return;
        }
        const reverted = revertName(error);
        if (reverted === undefined) return; // tried again next round
        // Sent before a restart, the reveal may be on-chain already (the job then refuses another): that counts.
        const now = await this.ourClaim(job);
        if (now?.state === ClaimState.Revealed && now.outputHash.toLowerCase() === outputHash.toLowerCase()) {
          log.info({ jobId: job.jobId, outputHash }, "result already on-chain");
          return store.setState(job.jobId, "revealed");
        }
        log.warn({ jobId: job.jobId, reverted }, "reveal not accepted");
        return store.setState(job.jobId, "done", { outcome: `reveal refused: ${reverted}` });
      },
    };
  }

  /** A revealed job: a phase whose time is up is closed, a round drawn, and a proposal of our output finalized once
   * its window is over; done once the job has ended. */
  private async followUp(job: StoredJob, now: bigint): Promise<Call | undefined> {
    const { store, log, metrics, options } = this.deps;
    this.notBefore.set(job.jobId, Date.now() + FOLLOW_UP_MS);
    const client = this.deps.chain.publicClient;
    const onChain = await client.readContract({ ...this.market, functionName: "job", args: [job.jobId] });
    if (ENDED.includes(onChain.state)) {
      const outcome = Object.entries(JobState).find(([, value]) => value === onChain.state)?.[0] ?? "ended";
      await store.setState(job.jobId, "done", { outcome: outcome.toLowerCase() });
      return undefined;
    }
    if (!options.finalize) return undefined;
    if (onChain.state === JobState.Revealing && now >= BigInt(onChain.windowEnds)) {
      return this.settling(job, "closeReveals", [job.jobId], () => log.info({ jobId: job.jobId }, "reveals closed"));
    }
    if (onChain.state === JobState.Disputed) {
      const round = await client.readContract({ ...this.market, functionName: "round", args: [job.jobId] });
      const block = await client.getBlockNumber();
      if (!round.drawn && now < BigInt(round.commitEnds)) {
        if (block <= BigInt(round.drawBlock)) return undefined;
        return this.settling(job, "drawCommittee", [job.jobId], () =>
          log.info({ jobId: job.jobId }, "committee drawn"),
        );
      }
      // closeReveals refuses (and nothing is sent) until the round's reveals are in or due.
      return this.settling(job, "closeReveals", [job.jobId], () => log.info({ jobId: job.jobId }, "round closed"));
    }
    if (onChain.state !== JobState.Proposed) return undefined;
    const chosen = await client.readContract({
      ...this.market,
      functionName: "claim",
      args: [job.jobId, BigInt(onChain.proposed - 1)],
    });
    const ours = chosen.outputHash.toLowerCase() === job.outputHash?.toLowerCase();
    if (now < BigInt(onChain.windowEnds)) return ours ? undefined : this.challenge(job, onChain.challenged);
    if (!ours) return undefined; // not ours to deliver
    const output = await store.output(chosen.outputHash);
    if (output === undefined) return undefined;
    const inline = chosen.inlineOutput ? Buffer.from(output.body).toString("hex") : "";
    return this.settling(job, "finalize", [job.jobId, `0x${inline}`], () => {
      metrics.finalized.inc();
      log.info({ jobId: job.jobId }, "job finalized");
      this.notBefore.delete(job.jobId);
    });
  }

  /** A job whose places others took while our model ran: followed until a proposal's window is over, and a proposal
   * contradicting our output challenged. A round (ours or another's) or the job's end ends our interest, unless the
   * round draws us for its committee. */
  private async watch(job: StoredJob, now: bigint): Promise<Call | undefined> {
    this.notBefore.set(job.jobId, Date.now() + FOLLOW_UP_MS);
    const client = this.deps.chain.publicClient;
    const onChain = await client.readContract({ ...this.market, functionName: "job", args: [job.jobId] });
    const over =
      ENDED.includes(onChain.state) ||
      onChain.state === JobState.Disputed ||
      (onChain.state === JobState.Proposed && (onChain.challenged || now >= BigInt(onChain.windowEnds))) ||
      // Past its deadline with nobody committed, it can only be refunded: nothing will be proposed.
      (onChain.state === JobState.Open && onChain.committed === 0 && now >= BigInt(onChain.deadline));
    if (over) {
      await this.deps.store.setState(job.jobId, "done", { outcome: job.outcome ?? "watched" });
      return undefined;
    }
    if (onChain.state !== JobState.Proposed) return undefined;
    const chosen = await client.readContract({
      ...this.market,
      functionName: "claim",
      args: [job.jobId, BigInt(onChain.proposed - 1)],
    });
    if (chosen.outputHash.toLowerCase() === job.outputHash?.toLowerCase()) return undefined;
    return this.challenge(job, onChain.challenged);
  }

  /** A challenge of the job's proposal, which contradicts the output we computed: the bond is approved from our key's
   * FOLD first (a transaction of its own), and nothing is sent when the key holds too little. */
  private async challenge(job: StoredJob, challenged: boolean): Promise<Call | undefined> {
    const { chain, account, log, metrics, options } = this.deps;
    if (!options.challenge || challenged || this.refusedChallenges.has(job.jobId)) return undefined;
    const client = chain.publicClient;
    const token = { address: chain.deployment("FoldToken").address, abi: contractAbi("FoldToken") } as const;
    const [bond, balance, allowance] = await Promise.all([
      client.readContract({ ...this.market, functionName: "challengeBond" }),
      client.readContract({ ...token, functionName: "balanceOf", args: [account.address] }),
      client.readContract({ ...token, functionName: "allowance", args: [account.address, this.market.address] }),
    ]);
    if (balance < bond) {
      log.warn(
        { jobId: job.jobId, bond, balance },
        "the proposal contradicts our output, but the key holds too little FOLD for the challenge bond",
      );
      return undefined;
    }
    if (allowance < bond) {
      await sendContract(chain, log, account, "approve the challenge bond", { ...token, functionName: "approve" }, [
        this.market.address,
        bond,
      ]);
    }
    log.warn({ jobId: job.jobId, ours: job.outputHash }, "the proposal contradicts our output: challenging");
    return {
      functionName: "challenge",
      args: [job.jobId],
      settle: async (error) => {
        if (error === undefined) {
          metrics.challenged.inc();
          log.info({ jobId: job.jobId, bond }, "challenged: a re-execution round is open");
          return;
        }
        const reverted = revertName(error);
        if (reverted === undefined) return; // tried again next round
        log.warn({ jobId: job.jobId, reverted }, "challenge not accepted");
        this.refusedChallenges.add(job.jobId);
      },
    };
  }

  /** A call anyone may make (finalize, a phase's close, a draw): someone else having made it first is fine (the next
   * follow-up sees the job moved on). */
  private settling(job: StoredJob, functionName: string, args: readonly unknown[], done: () => void): Call {
    return {
      functionName,
      args,
      settle: async (error) => {
        if (error === undefined) return done();
        const reverted = revertName(error);
        if (reverted !== undefined)
          this.deps.log.debug({ jobId: job.jobId, functionName, reverted }, "not settled by us");
      },
    };
  }

  /** Sends a round's calls (as one transaction where it can) and settles each. An error that is not a revert (the RPC
   * is down; a transaction failed) is thrown once every call is settled, so the loop backs off. */
  private async send(calls: readonly Call[]): Promise<void> {
    if (calls.length === 0) return;
    const { chain, log, account, metrics } = this.deps;
    const outcomes = await sendBatch(chain, log, account, this.market, calls).catch((error: unknown) =>
      calls.map(() => error),
    );
    let thrown: unknown;
    for (const [i, call] of calls.entries()) {
      const error = outcomes[i];
      if (error !== undefined && revertName(error) === undefined) {
        if (!isTransient(error)) metrics.failures.inc({ step: call.functionName });
        thrown ??= error;
      }
      try {
        await call.settle(error);
      } catch (settleError) {
        thrown ??= settleError;
      }
    }
    if (thrown !== undefined) throw thrown;
  }
}
