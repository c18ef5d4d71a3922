// JobMarket: models, workers (stake, price, models served), jobs with each worker's commitment, revealed result and
// any slash, proposals, re-execution rounds (challenge, committee, verdict or failure), pots, payouts and refunds,
// the grants a job cited, and consumer callbacks.
import { ponder } from "ponder:registry";
import { job, jobClaim, jobGrant, jobPotShare, model, worker, workerModel } from "ponder:schema";
import { label, ROUND_FAILURES } from "../lib/enums.ts";
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
    committed: 0,
    revealed: 0,
    disputed: false,
    requestedBlock: event.block.number,
    requestedAt: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  for (const grantId of request.grantIds) {
    await context.db.insert(jobGrant).values({ jobId, grantId, useFailed: false }).onConflictDoNothing();
  }
});

ponder.on("JobMarket:JobClaimed", async ({ event, context }) => {
  const { jobId, workerId, entry, price, commitment } = event.args;
  await context.db.insert(jobClaim).values({
    jobId,
    workerId,
    entry: Number(entry),
    member: false,
    price,
    state: "Committed",
    commitment,
    claimedAt: event.block.timestamp,
    committedAt: event.block.timestamp,
  });
  await context.db.update(job, { id: jobId }).set((row) => ({ committed: row.committed + 1 }));
});

ponder.on("JobMarket:RevealsOpened", async ({ event, context }) => {
  const { jobId, revealEnds } = event.args;
  // A round's reveals opening leaves the job Disputed; the original workers' reveals make it Revealing.
  await context.db
    .update(job, { id: jobId })
    .set((row) => (row.state === "Disputed" ? {} : { state: "Revealing", windowEnds: revealEnds }));
});

ponder.on("JobMarket:ResultRevealed", async ({ event, context }) => {
  const { jobId, workerId, outputHash, outputURI, inlineOutput, signature } = event.args;
  const claim = await context.db.find(jobClaim, { jobId, workerId });
  await context.db.update(jobClaim, { jobId, workerId }).set({
    state: "Revealed",
    outputHash,
    outputUri: outputURI,
    inlineOutput: inlineOutput === "0x" ? null : inlineOutput,
    signature,
    revealedAt: event.block.timestamp,
    revealTxHash: event.transaction.hash,
  });
  if (claim?.member === false) {
    await context.db.update(job, { id: jobId }).set((row) => ({ revealed: row.revealed + 1 }));
  }
});

ponder.on("JobMarket:ResultProposed", async ({ event, context }) => {
  const { jobId, outputHash, votes, windowEnds } = event.args;
  await context.db
    .update(job, { id: jobId })
    .set({ state: "Proposed", proposedOutputHash: outputHash, votes: Number(votes), windowEnds });
});

ponder.on("JobMarket:JobDisputed", async ({ event, context }) => {
  const { jobId, challenger, bond, drawBlock, commitEnds } = event.args;
  await context.db.update(job, { id: jobId }).set({
    state: "Disputed",
    disputed: true,
    challenger: challenger === "0x0000000000000000000000000000000000000000" ? null : challenger,
    bond: bond === 0n ? null : bond,
    drawBlock,
    roundCommitEnds: commitEnds,
  });
});

ponder.on("JobMarket:CommitteeDrawMoved", async ({ event, context }) => {
  await context.db.update(job, { id: event.args.jobId }).set({ drawBlock: event.args.drawBlock });
});

ponder.on("JobMarket:CommitteeDrawn", async ({ event, context }) => {
  const { jobId, workerIds, firstEntry } = event.args;
  for (const [seat, workerId] of workerIds.entries()) {
    await context.db.insert(jobClaim).values({
      jobId,
      workerId,
      entry: Number(firstEntry) + seat,
      member: true,
      price: 0n,
      state: "Drawn",
      claimedAt: event.block.timestamp,
    });
  }
  await context.db.update(job, { id: jobId }).set({ committeeSize: workerIds.length });
});

ponder.on("JobMarket:MemberCommitted", async ({ event, context }) => {
  const { jobId, workerId, commitment } = event.args;
  await context.db
    .update(jobClaim, { jobId, workerId })
    .set({ state: "Committed", commitment, committedAt: event.block.timestamp });
});

ponder.on("JobMarket:RoundDecided", async ({ event, context }) => {
  const { jobId, outputHash, votes, upheld } = event.args;
  // A verdict an original worker produced goes to finalize at once (ResultProposed is not emitted again).
  await context.db.update(job, { id: jobId }).set((row) => ({
    verdictOutputHash: outputHash,
    verdictVotes: Number(votes),
    upheld,
    ...(row.state === "Disputed"
      ? { state: "Proposed", proposedOutputHash: outputHash, windowEnds: event.block.timestamp }
      : {}),
  }));
});

ponder.on("JobMarket:RoundFailed", async ({ event, context }) => {
  const { jobId, failure } = event.args;
  await context.db.update(job, { id: jobId }).set((row) => ({
    roundFailure: label(ROUND_FAILURES, failure),
    // A challenged proposal stands, final at once; a job without one is Unresolved (JobUnresolved follows).
    ...(row.state === "Disputed" && row.proposedOutputHash !== null
      ? { state: "Proposed", windowEnds: event.block.timestamp }
      : {}),
  }));
});

ponder.on("JobMarket:WorkerSlashed", async ({ event, context }) => {
  const { jobId, workerId, amount, silent } = event.args;
  await context.db.update(jobClaim, { jobId, workerId }).set({
    state: silent ? "Silent" : "Slashed",
    slashed: amount,
    slashedSilent: silent,
  });
  await context.db
    .update(worker, { id: workerId })
    .set((row) => ({ stake: row.stake - amount, slashed: row.slashed + amount }));
});

ponder.on("JobMarket:PotShared", async ({ event, context }) => {
  const { jobId, amount, parties } = event.args;
  const shares =
    parties.length === 0
      ? [{ account: "0x000000000000000000000000000000000000dEaD" as const, amount }]
      : parties.map((account, i) => {
          const each = amount / BigInt(parties.length);
          return { account, amount: i === 0 ? amount - each * BigInt(parties.length - 1) : each };
        });
  for (const share of shares) {
    await context.db
      .insert(jobPotShare)
      .values({ jobId, account: share.account.toLowerCase() as `0x${string}`, amount: share.amount })
      .onConflictDoUpdate((row) => ({ amount: row.amount + share.amount }));
  }
});

ponder.on("JobMarket:JobFinalized", async ({ event, context }) => {
  const { jobId, outputHash, paid, refund } = event.args;
  await context.db
    .update(job, { id: jobId })
    .set({ state: "Final", outputHash, paid, refund, endedAt: event.block.timestamp });
});

ponder.on("JobMarket:JobUnresolved", async ({ event, context }) => {
  const { jobId, paid, refund } = event.args;
  await context.db
    .update(job, { id: jobId })
    .set({ state: "Unresolved", paid, refund, endedAt: event.block.timestamp });
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
