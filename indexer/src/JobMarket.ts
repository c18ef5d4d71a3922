// JobMarket: models, workers (stake, price, models served), jobs with each worker's claim, signed result or
// rejection and any slash, proposals, disputes, payouts and refunds, the grants a job cited, and consumer callbacks.
import { ponder } from "ponder:registry";
import { job, jobClaim, jobGrant, model, worker, workerModel } from "ponder:schema";
import { label, REJECT_REASONS } from "../lib/enums.ts";
import { withdrawn } from "../lib/shared.ts";

ponder.on("JobMarket:ModelRegistered", async ({ event, context }) => {
  const { modelId, ownerId, modelHash, name, uri, ownerFeeBps } = event.args;
  await context.db.insert(model).values({
    id: modelId,
    ownerId,
    modelHash,
    name,
    uri,
    ownerFeeBps: Number(ownerFeeBps),
    active: true,
    registeredBlock: event.block.number,
    registeredAt: event.block.timestamp,
  });
});

ponder.on("JobMarket:ModelActiveSet", async ({ event, context }) => {
  await context.db.update(model, { id: event.args.modelId }).set({ active: event.args.active });
});

ponder.on("JobMarket:WorkerRegistered", async ({ event, context }) => {
  const { workerId, pricePerJob, stake } = event.args;
  await context.db.insert(worker).values({
    id: workerId,
    pricePerJob,
    stake,
    unstaking: 0n,
    paused: false,
    slashed: 0n,
    registeredBlock: event.block.number,
    registeredAt: event.block.timestamp,
  });
});

ponder.on("JobMarket:WorkerModelsSet", async ({ event, context }) => {
  const { workerId, modelIds, serving } = event.args;
  for (const modelId of modelIds) {
    await context.db.insert(workerModel).values({ workerId, modelId, serving }).onConflictDoUpdate({ serving });
  }
});

ponder.on("JobMarket:WorkerPriceSet", async ({ event, context }) => {
  await context.db.update(worker, { id: event.args.workerId }).set({ pricePerJob: event.args.pricePerJob });
});

ponder.on("JobMarket:WorkerPausedSet", async ({ event, context }) => {
  await context.db.update(worker, { id: event.args.workerId }).set({ paused: event.args.paused });
});

ponder.on("JobMarket:StakeAdded", async ({ event, context }) => {
  await context.db.update(worker, { id: event.args.workerId }).set({ stake: event.args.stake });
});

ponder.on("JobMarket:UnstakeRequested", async ({ event, context }) => {
  const { workerId, amount, unstakeAt } = event.args;
  await context.db
    .update(worker, { id: workerId })
    .set((row) => ({ stake: row.stake - amount, unstaking: row.unstaking + amount, unstakeAt }));
});

ponder.on("JobMarket:StakeWithdrawn", async ({ event, context }) => {
  const { workerId, amount } = event.args;
  await context.db
    .update(worker, { id: workerId })
    .set((row) => ({ unstaking: row.unstaking - amount, unstakeAt: null }));
});

ponder.on("JobMarket:JobRequested", async ({ event, context }) => {
  const { jobId, modelId, requesterId, requester, request } = event.args;
  await context.db.insert(job).values({
    id: jobId,
    modelId,
    requesterId,
    requester,
    input: request.input === "0x" ? null : request.input,
    inputHash: request.inputHash,
    inputUri: request.inputURI,
    redundancy: request.redundancy,
    maxFeePerWorker: request.maxFeePerWorker,
    deadline: BigInt(request.deadline),
    callback: request.callback,
    callbackGasLimit: BigInt(request.callbackGasLimit),
    state: "Open",
    claimed: 0,
    submitted: 0,
    requestedBlock: event.block.number,
    requestedAt: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  for (const grantId of request.grantIds) {
    await context.db.insert(jobGrant).values({ jobId, grantId, useFailed: false }).onConflictDoNothing();
  }
});

ponder.on("JobMarket:JobClaimed", async ({ event, context }) => {
  const { jobId, workerId, entry, price } = event.args;
  await context.db.insert(jobClaim).values({
    jobId,
    workerId,
    entry: Number(entry),
    price,
    state: "Claimed",
    claimedAt: event.block.timestamp,
  });
  await context.db.update(job, { id: jobId }).set((row) => ({ claimed: row.claimed + 1 }));
});

// A rejection releases the claim: the job counts one claim fewer, as JobMarket does (the worker cannot claim it again).
ponder.on("JobMarket:JobRejected", async ({ event, context }) => {
  const { jobId, workerId, reason } = event.args;
  await context.db
    .update(jobClaim, { jobId, workerId })
    .set({ state: "Rejected", rejectReason: label(REJECT_REASONS, reason) });
  await context.db.update(job, { id: jobId }).set((row) => ({ claimed: row.claimed - 1 }));
});

ponder.on("JobMarket:ResultSubmitted", async ({ event, context }) => {
  const { jobId, workerId, outputHash, outputURI, inlineOutput, signature } = event.args;
  await context.db.update(jobClaim, { jobId, workerId }).set({
    state: "Submitted",
    outputHash,
    outputUri: outputURI,
    inlineOutput: inlineOutput === "0x" ? null : inlineOutput,
    signature,
    submittedAt: event.block.timestamp,
    submitTxHash: event.transaction.hash,
  });
  await context.db.update(job, { id: jobId }).set((row) => ({ submitted: row.submitted + 1 }));
});

ponder.on("JobMarket:ResultProposed", async ({ event, context }) => {
  const { jobId, outputHash, votes, windowEnds } = event.args;
  await context.db
    .update(job, { id: jobId })
    .set({ state: "Proposed", proposedOutputHash: outputHash, votes: Number(votes), windowEnds });
});

ponder.on("JobMarket:JobDisputed", async ({ event, context }) => {
  const { jobId, challenger, bond, settleAfter } = event.args;
  await context.db.update(job, { id: jobId }).set({
    state: "Disputed",
    challenger: challenger === "0x0000000000000000000000000000000000000000" ? null : challenger,
    bond,
    disputeSettleAfter: settleAfter,
  });
});

ponder.on("JobMarket:DisputeResolved", async ({ event, context }) => {
  const { jobId, arbiter, upheld } = event.args;
  await context.db.update(job, { id: jobId }).set({ disputeArbiter: arbiter, disputeUpheld: upheld });
});

ponder.on("JobMarket:WorkerSlashed", async ({ event, context }) => {
  const { jobId, workerId, toRequester, toOthers } = event.args;
  const total = toRequester + toOthers;
  await context.db.update(jobClaim, { jobId, workerId }).set((row) => ({
    state: "Slashed",
    slashedToRequester: (row.slashedToRequester ?? 0n) + toRequester,
    slashedToOthers: (row.slashedToOthers ?? 0n) + toOthers,
  }));
  await context.db
    .update(worker, { id: workerId })
    .set((row) => ({ stake: row.stake - total, slashed: row.slashed + total }));
});

ponder.on("JobMarket:JobFinalized", async ({ event, context }) => {
  const { jobId, outputHash, paid, refund } = event.args;
  await context.db
    .update(job, { id: jobId })
    .set({ state: "Final", outputHash, paid, refund, endedAt: event.block.timestamp });
});

ponder.on("JobMarket:JobRefunded", async ({ event, context }) => {
  await context.db
    .update(job, { id: event.args.jobId })
    .set({ state: "Refunded", refund: event.args.refund, paid: 0n, endedAt: event.block.timestamp });
});

ponder.on("JobMarket:GrantUseFailed", async ({ event, context }) => {
  const { jobId, grantId } = event.args;
  await context.db.update(jobGrant, { jobId, grantId }).set({ useFailed: true });
});

ponder.on("JobMarket:CallbackResult", async ({ event, context }) => {
  await context.db.update(job, { id: event.args.jobId }).set({ callbackOk: event.args.ok });
});

ponder.on("JobMarket:Withdrawn", async ({ event, context }) => {
  await withdrawn(context, event, "JobMarket", event.args.account, event.args.amount);
});
