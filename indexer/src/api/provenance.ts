// GET /jobs/:id/provenance: everything that went into an AI result and came of it, in one answer: the model (its
// weights' hash and owner), the input, the data grants cited (their datasets and owners, and whether each use was
// recorded), every worker's claim (and every committee seat) with its commitment, its revealed result, its signature
// and the key that made it (checked against the worker's Worker keys), the payments, slashes, pot shares and refund,
// and any re-execution round with its verdict.

import { db } from "ponder:api";
import { dataset, grant, identity, identityKey, job, jobClaim, jobGrant, jobPotShare, model } from "ponder:schema";
import { jobResultSigner } from "@fourfold/worker/job-result";
import { and, eq, inArray } from "ponder";
import type { Address, Hex } from "viem";

const BPS = 10_000n;

export async function provenance(jobId: bigint, chainId: number, jobMarket: Address) {
  const [found] = await db.select().from(job).where(eq(job.id, jobId));
  if (found === undefined) return undefined;
  const [m] = await db.select().from(model).where(eq(model.id, found.modelId));
  const claims = await db.select().from(jobClaim).where(eq(jobClaim.jobId, jobId)).orderBy(jobClaim.entry);
  const pot = await db.select().from(jobPotShare).where(eq(jobPotShare.jobId, jobId)).orderBy(jobPotShare.account);
  const cited = await db
    .select({ grant, useFailed: jobGrant.useFailed, dataset })
    .from(jobGrant)
    .innerJoin(grant, eq(grant.id, jobGrant.grantId))
    .innerJoin(dataset, eq(dataset.id, grant.datasetId))
    .where(eq(jobGrant.jobId, jobId));
  const people = [found.requesterId, ...(m ? [m.ownerId] : []), ...claims.map((c) => c.workerId)];
  for (const c of cited) people.push(c.dataset.ownerId);
  const identities = new Map(
    (await db.select().from(identity).where(inArray(identity.id, people))).map((row) => [row.id, row]),
  );
  const who = (id: bigint) => ({
    id,
    handle: identities.get(id)?.handle ?? null,
    owner: identities.get(id)?.owner ?? null,
  });

  const final = found.state === "Final" ? found.outputHash : null;
  const feeBps = BigInt(m?.ownerFeeBps ?? 0);
  const workers = await Promise.all(
    claims.map(async (c) => {
      let signer: Address | null = null;
      let signerIsWorkerKey = false;
      if (c.signature && c.outputHash && m) {
        signer = await jobResultSigner(
          {
            jobId,
            modelHash: m.modelHash as Hex,
            inputHash: found.inputHash as Hex,
            outputHash: c.outputHash as Hex,
            workerId: c.workerId,
            deadline: found.deadline,
          },
          c.signature as Hex,
          chainId,
          jobMarket,
        );
        const [key] = await db
          .select()
          .from(identityKey)
          .where(and(eq(identityKey.key, signer.toLowerCase() as Hex), eq(identityKey.identityId, c.workerId)));
        signerIsWorkerKey = key?.purpose === "Worker";
      }
      const paid =
        !c.member &&
        c.state === "Revealed" &&
        ((final !== null && c.outputHash === final) || found.state === "Unresolved");
      const ownerCut = paid ? (c.price * feeBps) / BPS : 0n;
      return {
        worker: who(c.workerId),
        entry: c.entry,
        member: c.member,
        state: c.state,
        price: c.price,
        commitment: c.commitment,
        outputHash: c.outputHash,
        outputUri: c.outputUri,
        inlineOutput: c.inlineOutput,
        signature: c.signature,
        signer,
        signerIsWorkerKey,
        agreesWithFinal: final !== null && c.outputHash === final,
        paid: paid ? c.price - ownerCut : 0n,
        ownerCut,
        slashed: c.slashed === null ? null : { amount: c.slashed, silent: c.slashedSilent === true },
        claimedAt: c.claimedAt,
        committedAt: c.committedAt,
        revealedAt: c.revealedAt,
        revealTxHash: c.revealTxHash,
      };
    }),
  );
  return {
    job: {
      id: found.id,
      state: found.state,
      requester: { ...who(found.requesterId), address: found.requester },
      redundancy: found.redundancy,
      maxFeePerWorker: found.maxFeePerWorker,
      deadline: found.deadline,
      requestedAt: found.requestedAt,
      endedAt: found.endedAt,
      txHash: found.txHash,
      callback: found.callback,
      callbackOk: found.callbackOk,
    },
    model: m
      ? {
          id: m.id,
          name: m.name,
          modelHash: m.modelHash,
          uri: m.uri,
          owner: who(m.ownerId),
          ownerFeeBps: m.ownerFeeBps,
        }
      : null,
    input: { hash: found.inputHash, uri: found.inputUri, inline: found.input },
    output: {
      proposedHash: found.proposedOutputHash,
      votes: found.votes,
      windowEnds: found.windowEnds,
      finalHash: final,
    },
    grants: cited.map((c) => ({
      id: c.grant.id,
      purpose: c.grant.purpose,
      state: c.grant.state,
      useRecorded: !c.useFailed,
      dataset: {
        id: c.dataset.id,
        contentHash: c.dataset.contentHash,
        pricePerUse: c.dataset.pricePerUse,
        owner: who(c.dataset.ownerId),
      },
    })),
    workers: workers.filter((w) => !w.member),
    committee: workers.filter((w) => w.member),
    payments: {
      toWorkers: workers.reduce((sum, w) => sum + w.paid, 0n),
      toModelOwner: workers.reduce((sum, w) => sum + w.ownerCut, 0n),
      paid: found.paid,
      refund: found.refund,
      slashed: workers.reduce((sum, w) => sum + (w.slashed?.amount ?? 0n), 0n),
      potShares: pot.map((p) => ({ account: p.account, amount: p.amount })),
    },
    round: !found.disputed
      ? null
      : {
          challenger: found.challenger,
          bond: found.bond,
          drawBlock: found.drawBlock,
          commitEnds: found.roundCommitEnds,
          committeeSize: found.committeeSize,
          verdictHash: found.verdictOutputHash,
          verdictVotes: found.verdictVotes,
          upheld: found.upheld,
          failure: found.roundFailure,
        },
  };
}
