// Inference jobs from the requester's side: a request (its input inline on-chain when small, else named by URI and
// sha256), paid from FOLD approved here, and the wait for its final result, read from the winning workers' results
// and checked against the hash the chain recorded; and from anyone's, a challenge of a proposed result.
import { createHash } from "node:crypto";
import { type Address, formatUnits, type Hex, hexToBytes, toHex, zeroAddress } from "viem";
import { mayClaim } from "../eligibility.ts";
import { type ActionContext, contractOf, type Signer, send } from "./context.ts";
import { signPermit } from "./permit.ts";

/** JobMarket's MAX_INLINE_INPUT: inputs up to this many bytes go on-chain with the request. */
export const MAX_INLINE_INPUT = 4_096;
export const JOB_STATES = [
  "None",
  "Open",
  "Revealing",
  "Proposed",
  "Disputed",
  "Final",
  "Unresolved",
  "Refunded",
] as const;
export type JobStateName = (typeof JOB_STATES)[number];

const sha256 = (bytes: Uint8Array): Hex => `0x${createHash("sha256").update(bytes).digest("hex")}`;

/** Requests a job for `requester`'s identity `requesterId`, paying the escrow (`redundancy` x `maxFeePerWorker`) by
 * permit in the same transaction. An input over 4,096 bytes needs `inputUri`, where workers fetch it. Returns the job's id. */
/**
 * Checks a job against what the chain knows now, and throws in words what would leave it waiting for nothing or make
 * it revert: a model that does not exist or takes no jobs, fewer workers able to claim it (`mayClaim`) than must
 * agree, or an escrow beyond the requester's FOLD. Nothing is sent.
 */
export async function checkJob(
  ctx: ActionContext,
  requester: Address,
  job: { readonly modelId: bigint; readonly redundancy: number; readonly maxFeePerWorker: bigint },
): Promise<void> {
  const client = ctx.chain.publicClient;
  const market = contractOf(ctx, "JobMarket");
  const [modelCount, minStake, balance] = await Promise.all([
    client.readContract({ ...market, functionName: "modelCount" }),
    client.readContract({ ...market, functionName: "minStake" }),
    client.readContract({ ...contractOf(ctx, "FoldToken"), functionName: "balanceOf", args: [requester] }),
  ]);
  if (job.modelId < 1n || job.modelId > modelCount) throw new Error(`there is no model #${job.modelId}`);
  const model = await client.readContract({ ...market, functionName: "model", args: [job.modelId] });
  if (!model.active) throw new Error(`model #${job.modelId} takes no new jobs (its owner deactivated it)`);
  const ids = await client.readContract({ ...market, functionName: "modelWorkers", args: [job.modelId] });
  const workers = await Promise.all(
    ids.map((id) => client.readContract({ ...market, functionName: "worker", args: [id] })),
  );
  const able = workers.filter((w) => mayClaim(w, job.maxFeePerWorker, minStake)).length;
  const fee = formatUnits(job.maxFeePerWorker, 18);
  if (able < job.redundancy) {
    throw new Error(
      able === 0
        ? `no worker of model #${job.modelId} may claim a job paying ${fee} FOLD a worker now (unpaused, at that price or less, with the minimum stake free): raise the fee, or wait for one`
        : `only ${able} of model #${job.modelId}'s workers may claim a job paying ${fee} FOLD a worker now: ask for ${able} or fewer to agree, or raise the fee`,
    );
  }
  const escrow = BigInt(job.redundancy) * job.maxFeePerWorker;
  if (escrow > balance) {
    throw new Error(
      `the escrow, ${formatUnits(escrow, 18)} FOLD, is more than the ${formatUnits(balance, 18)} FOLD ${requester} holds`,
    );
  }
}

export async function requestJob(
  ctx: ActionContext,
  requester: Signer,
  request: {
    readonly requesterId: bigint;
    readonly modelId: bigint;
    readonly input: Uint8Array;
    readonly inputUri?: string;
    readonly redundancy: number;
    readonly maxFeePerWorker: bigint;
    /** Seconds from now (the chain's clock) until the job expires unfinished. */
    readonly deadlineSeconds: number;
  },
): Promise<bigint> {
  const inline = request.input.length <= MAX_INLINE_INPUT;
  if (!inline && request.inputUri === undefined) {
    throw new Error(
      `the input is ${request.input.length} bytes, over ${MAX_INLINE_INPUT}: it needs a URI workers fetch`,
    );
  }
  await checkJob(ctx, requester.address, request);
  const jobs = contractOf(ctx, "JobMarket");
  const escrow = BigInt(request.redundancy) * request.maxFeePerWorker;
  const permit = await signPermit(ctx, requester, jobs.address, escrow);
  const now = (await ctx.chain.publicClient.getBlock()).timestamp;
  return send<bigint>(ctx, requester, "JobMarket", "requestJobWithPermit", [
    {
      requesterId: request.requesterId,
      modelId: request.modelId,
      input: inline ? toHex(request.input) : "0x",
      inputHash: sha256(request.input),
      inputURI: inline ? "" : request.inputUri,
      grantIds: [],
      redundancy: request.redundancy,
      maxFeePerWorker: request.maxFeePerWorker,
      deadline: now + BigInt(request.deadlineSeconds),
      callback: zeroAddress,
      callbackGasLimit: 0,
    },
    permit,
  ]);
}

export interface JobStatus {
  readonly jobId: bigint;
  readonly state: JobStateName;
  readonly redundancy: number;
  /** Workers that claimed it with a commitment, and those that revealed their result. */
  readonly committed: number;
  readonly revealed: number;
  /** While Revealing, when reveals are due; while Proposed, when the challenge window ends (chain seconds); or 0. */
  readonly windowEnds: number;
  readonly deadline: number;
  /** Its re-execution round, once one was opened (by a challenge, or reveals without a majority). */
  readonly round?: RoundStatus;
}

export interface RoundStatus {
  /** Who challenged (and posted the bond), or the zero address for reveals without a majority. */
  readonly challenger: Hex;
  /** The block whose hash draws the committee. */
  readonly drawBlock: number;
  readonly drawn: boolean;
  /** Seats drawn, committed and revealed. */
  readonly size: number;
  readonly committed: number;
  readonly revealed: number;
  /** When the committee must be drawn and committed, and (once open) when its reveals are due (chain seconds). */
  readonly commitEnds: number;
  readonly revealEnds: number;
}

/** The job's state as the chain has it. */
export async function jobStatus(ctx: ActionContext, jobId: bigint): Promise<JobStatus> {
  const job = await ctx.chain.publicClient.readContract({
    ...contractOf(ctx, "JobMarket"),
    functionName: "job",
    args: [jobId],
  });
  if (job.state === 0) throw new Error(`there is no job #${jobId}`);
  const status = {
    jobId,
    state: JOB_STATES[job.state] ?? "None",
    redundancy: job.redundancy,
    committed: job.committed,
    revealed: job.revealed,
    windowEnds: Number(job.windowEnds),
    deadline: Number(job.deadline),
  };
  if (!job.challenged) return status;
  const round = await ctx.chain.publicClient.readContract({
    ...contractOf(ctx, "JobMarket"),
    functionName: "round",
    args: [jobId],
  });
  return {
    ...status,
    round: {
      challenger: round.challenger,
      drawBlock: Number(round.drawBlock),
      drawn: round.drawn,
      size: round.size,
      committed: round.committed,
      revealed: round.revealed,
      commitEnds: Number(round.commitEnds),
      revealEnds: Number(round.revealEnds),
    },
  };
}

/** Challenges job `jobId`'s proposed result from `challenger`, posting JobMarket's `challengeBond` (approved here:
 * `challenge` takes no permit): a re-execution round opens, whose committee re-runs the job. The bond comes back,
 * with a share of the liars' collateral, when the committee's verdict overturns the proposal; it is lost when the
 * verdict upholds it. Refused, with nothing sent, when the job cannot be challenged or the key holds too little FOLD.
 * Returns the bond and the block that draws the committee. */
export async function challengeJob(
  ctx: ActionContext,
  challenger: Signer,
  jobId: bigint,
): Promise<{ bond: bigint; drawBlock: bigint }> {
  const jobs = contractOf(ctx, "JobMarket");
  const token = contractOf(ctx, "FoldToken");
  const client = ctx.chain.publicClient;
  const [job, bond, balance, now] = await Promise.all([
    client.readContract({ ...jobs, functionName: "job", args: [jobId] }),
    client.readContract({ ...jobs, functionName: "challengeBond" }),
    client.readContract({ ...token, functionName: "balanceOf", args: [challenger.address] }),
    client.getBlock().then((block) => block.timestamp),
  ]);
  if (job.state === 0) throw new Error(`there is no job #${jobId}`);
  const state = JOB_STATES[job.state] ?? "None";
  if (state !== "Proposed") throw new Error(`job #${jobId} is ${state}: only a proposed result can be challenged`);
  if (job.challenged) throw new Error(`job #${jobId} had its re-execution round already: its result is final`);
  if (now >= job.windowEnds) {
    throw new Error(`job #${jobId}'s challenge window ended at ${new Date(job.windowEnds * 1_000).toISOString()}`);
  }
  if (balance < bond) {
    throw new Error(
      `the challenge bond is ${formatUnits(bond, 18)} FOLD; ${challenger.address} holds ${formatUnits(balance, 18)}`,
    );
  }
  await send(ctx, challenger, "FoldToken", "approve", [jobs.address, bond]);
  await send(ctx, challenger, "JobMarket", "challenge", [jobId]);
  const round = await client.readContract({ ...jobs, functionName: "round", args: [jobId] });
  return { bond, drawBlock: BigInt(round.drawBlock) };
}

/** A final job's output: the bytes whose sha256 the chain recorded, from a worker's result that has them (inline, or
 * fetched from its URI and checked). */
export async function jobOutput(ctx: ActionContext, jobId: bigint): Promise<{ hash: Hex; bytes: Uint8Array }> {
  const jobs = contractOf(ctx, "JobMarket");
  const client = ctx.chain.publicClient;
  const fromBlock = BigInt(ctx.chain.deployment("JobMarket").startBlock);
  const [finalized] = await client.getContractEvents({
    ...jobs,
    eventName: "JobFinalized",
    args: { jobId },
    fromBlock,
  });
  const hash = finalized?.args.outputHash;
  if (hash === undefined) throw new Error(`job #${jobId} is not final`);
  const results = await client.getContractEvents({ ...jobs, eventName: "ResultRevealed", args: { jobId }, fromBlock });
  const problems: string[] = [];
  for (const { args } of results) {
    if (args.outputHash !== hash) continue;
    if (args.inlineOutput !== undefined && args.inlineOutput !== "0x") {
      const bytes = hexToBytes(args.inlineOutput);
      if (sha256(bytes) === hash) return { hash, bytes };
      problems.push(`worker ${args.workerId}'s inline output does not hash to ${hash}`);
      continue;
    }
    const uri = args.outputURI ?? "";
    try {
      const response = await fetch(uri, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (sha256(bytes) === hash) return { hash, bytes };
      problems.push(`${uri} does not hash to ${hash}`);
    } catch (error) {
      problems.push(`${uri}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no result of job #${jobId} gives its output ${hash}: ${problems.join("; ") || "none revealed"}`);
}
