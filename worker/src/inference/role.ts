// The inference role: a staked JobMarket worker. It follows JobRequested over confirmed blocks from a durable cursor,
// claims jobs for the models it serves (never more than its concurrency at a time), fetches and checks each input,
// runs the model, signs the canonical output's hash (EIP-712 JobResult) and submits it; an input that fails its hash
// check or cannot be parsed is rejected on-chain with its reason. Once a result it is part of is proposed and the
// challenge window is over, it finalizes the job (and expires a job left without enough results).
//
// Durable and idempotent: each job's step is in the job store (./job-store.ts) before the transaction that ends it is
// sent, and a job found mid-step after a restart is reconciled with the chain (a claim or result already on-chain
// counts as done). One loop sends every transaction, one at a time: each round's calls (results, rejections,
// finalizations, then new claims) go in one JobMarket `multicall`, so a busy worker spends a block per round rather
// than per call. Models run beside the loop. On SIGINT/SIGTERM the role stops claiming, finishes the jobs in flight (up
// to a drain timeout), then stops.
import type { Logger } from "pino";
import type { Account, Address, Hex } from "viem";
import { type BatchCall, type Chainlink, contractAbi, isTransient, revertName, sendBatch } from "../chain.ts";
import { byPosition, Nudge, runLoop, sweepConfirmed } from "../loop.ts";
import { backoffDelay } from "../retry.ts";
import { fetchInput, type InputPolicy, InputUnreachable } from "./input.ts";
import { signJobResult } from "./job-result.ts";
import { IN_FLIGHT, type JobStore, type StoredJob } from "./job-store.ts";
import type { InferenceModel } from "./models/index.ts";
import { EndpointError } from "./models/openai.ts";
import { type EncodedOutput, encodeOutput, InputError, MAX_INLINE_OUTPUT, RejectReason } from "./output.ts";
import type { WorkerMetrics } from "./server.ts";

const JobState = { Open: 1, Proposed: 2, Disputed: 3, Final: 4, Refunded: 5 } as const;
const ClaimState = { Claimed: 1, Submitted: 2, Rejected: 3, Slashed: 4 } as const;
/** Reverts of claimJob that mean the job is not for us (any more). */
const NOT_CLAIMABLE = new Set(["JobFullyClaimed", "JobWrongState", "JobDeadline", "JobNotEligible"]);
/** A step failing this many times for a reason that is not transient gives the job up. */
const MAX_ATTEMPTS = 3;
/** How long a job waits when our free stake cannot back another claim. */
const STAKE_RETRY_MS = 15_000;
/** How often a submitted job's state is read (to finalize it, or to learn it is over). */
const FOLLOW_UP_MS = 5_000;

/** A transaction a job's step wants sent, and what follows from its fate: `error` is undefined once it is mined, else
 * its revert or what stopped the send (the round then fails with it, and the step is tried again). */
interface Call extends BatchCall {
  readonly settle: (error: unknown) => Promise<void>;
}

/** What running a job's model came to: its output, or the error that stopped it. */
type Produced = { model: InferenceModel; encoded: EncodedOutput; modelMs: number } | { error: unknown };

export interface InferenceRoleOptions {
  readonly concurrency: number;
  readonly pollIntervalMs: number;
  readonly confirmations: bigint;
  readonly finalize: boolean;
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
    let inFlight = jobs.filter((job) => IN_FLIGHT.includes(job.state)).length;
    const steps: Call[] = [];
    const claims: Call[] = [];
    try {
      for (const job of jobs) {
        if (this.running.has(job.jobId) || Date.now() < (this.notBefore.get(job.jobId) ?? 0)) continue;
        if (job.state === "seen") {
          if (this.draining || inFlight >= options.concurrency) continue;
          const claim = await this.claim(job, now);
          if (claim !== undefined) {
            claims.push(claim);
            inFlight += 1;
          }
        } else {
          const step = await this.step(job, now);
          if (step !== undefined) steps.push(step);
        }
      }
    } catch (error) {
      // Nothing was sent: the calls planned so far learn so (a claim's early model run is dropped), then the round fails.
      for (const call of [...steps, ...claims]) await call.settle(error).catch(() => {});
      throw error;
    }
    // Settling calls first: a finalization unlocks stake a claim in the same batch may need.
    await this.send([...steps, ...claims]);
    metrics.inFlight.set(await this.inFlight());
    this.lastTickMs = Date.now();
    this.lastError = undefined;
  }

  private async inFlight(): Promise<number> {
    const counts = await this.deps.store.counts();
    return IN_FLIGHT.reduce((sum, state) => sum + counts[state], 0);
  }

  /** Records the requests for our models in a range of confirmed blocks. */
  private async collect(fromBlock: bigint, toBlock: bigint): Promise<void> {
    const { chain, store, models } = this.deps;
    if (models.size === 0) return;
    const logs = await chain.publicClient.getContractEvents({
      ...this.market,
      eventName: "JobRequested",
      args: { modelId: [...models.keys()] },
      fromBlock,
      toBlock,
    });
    for (const log of logs.sort(byPosition)) {
      const { jobId, modelId, request } = log.args;
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
  }

  /** Claims a job we saw requested. The input is fetched and the model run while the claim is being mined (the result
   * is kept only if the claim lands), so a job costs about one block less. */
  private async claim(job: StoredJob, now: bigint): Promise<Call | undefined> {
    const { store, log, metrics } = this.deps;
    if (job.deadline - now < BigInt(this.deps.options.minTimeLeftSeconds)) {
      await store.setState(job.jobId, "done", { outcome: "not claimed: too little time before the deadline" });
      return undefined;
    }
    // A job that is not ours to claim (over, full, or beyond our free stake) takes no place in the round.
    const refused = await this.deps.chain.publicClient
      .simulateContract({ ...this.market, functionName: "claimJob", args: [job.jobId], account: this.deps.account })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    if (refused !== undefined) {
      if (revertName(refused) === undefined) throw refused;
      await this.claimRefused(job, refused);
      return undefined;
    }
    await store.setState(job.jobId, "claiming");
    let landed = (_ok: boolean) => {};
    this.compute(job, new Promise<boolean>((resolve) => (landed = resolve)));
    const settle = async (error: unknown) => {
      if (error !== undefined) return this.claimRefused(job, error);
      await store.setState(job.jobId, "claimed");
      metrics.claimed.inc();
      log.info({ jobId: job.jobId, modelId: job.modelId }, "job claimed");
    };
    return {
      functionName: "claimJob",
      args: [job.jobId],
      settle: async (error) => {
        let ok = false;
        try {
          await settle(error);
          ok = error === undefined;
        } finally {
          landed(ok);
        }
      },
    };
  }

  /** A claim that did not land: the job is given up, waits for stake, or (after an outage) is reconciled next time. */
  private async claimRefused(job: StoredJob, error: unknown): Promise<void> {
    const { store, log } = this.deps;
    const reverted = revertName(error);
    if (reverted === undefined) return; // not sent, or not known to be mined: `claiming` is reconciled with the chain
    if (reverted === "JobNotWorker") {
      throw new WorkerSetupError(`${this.deps.account.address} is no longer an active Worker key of a worker`);
    }
    if (reverted === "JobNotEligible" && (await this.stakeExhausted())) {
      // Our collateral is locked by jobs still in their window: wait for them rather than give this one up.
      log.warn({ jobId: job.jobId }, "free stake below minStake: add stake, or wait for open jobs to finalize");
      await store.setState(job.jobId, "seen");
      this.notBefore.set(job.jobId, Date.now() + STAKE_RETRY_MS);
      return;
    }
    if (NOT_CLAIMABLE.has(reverted)) {
      log.debug({ jobId: job.jobId, reverted }, "job not claimable");
      return store.setState(job.jobId, "done", { outcome: `not claimed: ${reverted}` });
    }
    throw error;
  }

  /** The next step of a job past `seen`, and the transaction it needs, if any. */
  private async step(job: StoredJob, now: bigint): Promise<Call | undefined> {
    const { store } = this.deps;
    const late = now >= job.deadline;
    switch (job.state) {
      case "claiming":
        await this.reconcile(job);
        return undefined;
      case "claimed":
        if (late) await store.setState(job.jobId, "done", { outcome: "deadline passed before a result" });
        else this.compute(job);
        return undefined;
      case "computed":
        if (!late) return this.submit(job);
        await store.setState(job.jobId, "done", { outcome: "deadline passed before submitting" });
        return undefined;
      case "rejecting":
        return this.reject(job);
      case "submitted":
        return this.followUp(job, now);
    }
    return undefined;
  }

  /** Sets a job found mid-claim after a restart to what the chain says. */
  private async reconcile(job: StoredJob): Promise<void> {
    const claim = await this.ourClaim(job.jobId);
    const { store } = this.deps;
    if (claim === undefined) return store.setState(job.jobId, "seen");
    if (claim.state === ClaimState.Claimed) return store.setState(job.jobId, "claimed");
    if (claim.state === ClaimState.Submitted) return store.setState(job.jobId, "submitted");
    return store.setState(job.jobId, "done", { outcome: `claim ${claim.state === 3 ? "rejected" : "slashed"}` });
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

  private async ourClaim(jobId: bigint) {
    const client = this.deps.chain.publicClient;
    const job = await client.readContract({ ...this.market, functionName: "job", args: [jobId] });
    for (let entry = 0n; entry < BigInt(job.entries); entry++) {
      const claim = await client.readContract({ ...this.market, functionName: "claim", args: [jobId, entry] });
      if (claim.workerId === this.deps.workerId) return claim;
    }
    return undefined;
  }

  /** Fetches the input and runs the model, beside the loop. What comes of it (a result, or the reason to reject the
   * job) is recorded once `claimed` says the job is ours; if it is not, the work is dropped. */
  private compute(job: StoredJob, claimed: Promise<boolean> = Promise.resolve(true)): void {
    if (this.running.has(job.jobId)) return;
    this.running.add(job.jobId);
    Promise.all([this.produce(job), claimed])
      .then(([produced, ours]) => (ours ? this.record(job, produced) : undefined))
      .catch((error: unknown) => this.deps.log.error({ jobId: job.jobId, err: error }, "could not record a result"))
      .finally(() => {
        this.running.delete(job.jobId);
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
      log.warn({ jobId: job.jobId, reason: error.reason, detail: error.message }, "input unusable; rejecting");
      await store.setState(job.jobId, "rejecting", { rejectReason: error.reason, outcome: error.message });
      return;
    }
    const attempts = await store.failedAttempt(job.jobId);
    metrics.failures.inc({ step: "compute" });
    const passing = error instanceof InputUnreachable || error instanceof EndpointError;
    if (attempts >= MAX_ATTEMPTS && !(error instanceof EndpointError)) {
      // JobMarket has no reason for "the worker failed": releasing the claim lets another worker serve the job.
      const reason = passing ? "InputUnavailable" : "InputMalformed";
      log.error({ jobId: job.jobId, err: error, attempts, reason }, "giving the job up; rejecting it");
      await store.setState(job.jobId, "rejecting", { rejectReason: reason, outcome: (error as Error).message });
      return;
    }
    const delayMs = backoffDelay(attempts, { baseMs: 1_000, maxMs: 60_000 }, 0.5 + Math.random() / 2);
    log.warn({ jobId: job.jobId, err: error, attempts, delayMs }, "could not run the job; will retry");
    this.notBefore.set(job.jobId, Date.now() + delayMs);
  }

  private async submit(job: StoredJob): Promise<Call | undefined> {
    const { store, log, metrics, models, chain, account, workerId, options } = this.deps;
    const outputHash = job.outputHash as Hex;
    const output = await store.output(outputHash);
    const model = models.get(job.modelId);
    if (output === undefined || model === undefined) {
      // Cannot happen (the output is saved with the state); recompute rather than stall.
      await store.setState(job.jobId, "claimed");
      return undefined;
    }
    const signature = await signJobResult({
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
    const inline = output.body.length <= MAX_INLINE_OUTPUT ? Buffer.from(output.body).toString("hex") : "";
    const outputURI = `${options.outputBaseUrl}/outputs/${outputHash}`;
    return {
      functionName: "submitResult",
      args: [job.jobId, workerId, outputHash, outputURI, `0x${inline}`, signature],
      settle: async (error) => {
        if (error === undefined) {
          await store.setState(job.jobId, "submitted");
          metrics.submitted.inc();
          log.info({ jobId: job.jobId, outputHash, outputURI }, "result submitted");
          return;
        }
        const reverted = revertName(error);
        if (reverted === undefined) return; // tried again next round
        // Sent before a restart, the result may be on-chain already (the job then refuses another: JobNoClaim, or
        // JobWrongState once the results are all in): that counts as submitted.
        const claim = await this.ourClaim(job.jobId);
        if (claim?.state === ClaimState.Submitted && claim.outputHash.toLowerCase() === outputHash.toLowerCase()) {
          log.info({ jobId: job.jobId, outputHash }, "result already on-chain");
          return store.setState(job.jobId, "submitted");
        }
        log.warn({ jobId: job.jobId, reverted }, "result not accepted");
        return store.setState(job.jobId, "done", { outcome: `result refused: ${reverted}` });
      },
    };
  }

  private reject(job: StoredJob): Call {
    const { store, log, metrics } = this.deps;
    const reason = job.rejectReason ?? "InputMalformed";
    return {
      functionName: "rejectJob",
      args: [job.jobId, RejectReason[reason]],
      settle: async (error) => {
        if (error === undefined) {
          metrics.rejected.inc({ reason });
          log.info({ jobId: job.jobId, reason }, "job rejected");
          return store.setState(job.jobId, "done", { outcome: `rejected (${reason}): ${job.outcome}` });
        }
        const reverted = revertName(error);
        if (reverted === undefined) return;
        log.warn({ jobId: job.jobId, reverted }, "could not reject the job");
        return store.setState(job.jobId, "done", { outcome: `rejection refused (${reverted}): ${job.outcome}` });
      },
    };
  }

  /** A submitted job: finalized by us once its window is over (if our result is the proposed one), expired if the
   * others stayed silent past the deadline, done once final. */
  private async followUp(job: StoredJob, now: bigint): Promise<Call | undefined> {
    const { store, log, metrics, options } = this.deps;
    this.notBefore.set(job.jobId, Date.now() + FOLLOW_UP_MS);
    const onChain = await this.deps.chain.publicClient.readContract({
      ...this.market,
      functionName: "job",
      args: [job.jobId],
    });
    if (onChain.state === JobState.Final || onChain.state === JobState.Refunded) {
      const outcome = onChain.state === JobState.Final ? "final" : "refunded";
      await store.setState(job.jobId, "done", { outcome });
      return undefined;
    }
    if (!options.finalize) return undefined;
    if (onChain.state === JobState.Open && now >= BigInt(onChain.deadline)) {
      return this.settling(job, "expireJob", [job.jobId], () => log.info({ jobId: job.jobId }, "job expired"));
    }
    if (onChain.state !== JobState.Proposed || now < BigInt(onChain.windowEnds)) return undefined;
    const chosen = await this.deps.chain.publicClient.readContract({
      ...this.market,
      functionName: "claim",
      args: [job.jobId, BigInt(onChain.proposed - 1)],
    });
    if (chosen.outputHash.toLowerCase() !== job.outputHash?.toLowerCase()) return undefined; // not ours to deliver
    const output = await store.output(chosen.outputHash);
    if (output === undefined) return undefined;
    const inline = chosen.inlineOutput ? Buffer.from(output.body).toString("hex") : "";
    return this.settling(job, "finalize", [job.jobId, `0x${inline}`], () => {
      metrics.finalized.inc();
      log.info({ jobId: job.jobId }, "job finalized");
      this.notBefore.delete(job.jobId);
    });
  }

  /** finalize or expireJob: someone else having done it first is fine (the next follow-up sees the job over). */
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
