// The inference market's supply side: models registered by their owners with the hash of their weights, and staked
// workers serving them.
import { formatUnits, type Hex } from "viem";
import { KeyPurpose } from "../identity.ts";
import { type ActionContext, contractOf, type Signer, send } from "./context.ts";
import { bindKey } from "./identity.ts";

/** Registers a model of `owner`'s identity `ownerId`; `ownerFeeBps` of each job's pay goes to the owner. */
export function registerModel(
  ctx: ActionContext,
  owner: Signer,
  ownerId: bigint,
  model: { readonly modelHash: Hex; readonly name: string; readonly uri: string; readonly ownerFeeBps: number },
): Promise<bigint> {
  return send<bigint>(ctx, owner, "JobMarket", "registerModel", [
    ownerId,
    model.modelHash,
    model.name,
    model.uri,
    BigInt(model.ownerFeeBps),
  ]);
}

/** Makes `owner`'s identity `workerId` a worker serving `modelIds` at `pricePerJob`, staking `stake` FOLD (approved
 * here), with `key` bound as its Worker key: the key the worker program signs results with. */
export async function registerWorker(
  ctx: ActionContext,
  owner: Signer,
  worker: {
    readonly workerId: bigint;
    readonly key: Signer;
    readonly modelIds: readonly bigint[];
    readonly pricePerJob: bigint;
    readonly stake: bigint;
  },
): Promise<void> {
  // Checked before the key is bound or the stake approved, so a stake too small changes nothing.
  const minStake = await ctx.chain.publicClient.readContract({
    ...contractOf(ctx, "JobMarket"),
    functionName: "minStake",
  });
  if (worker.stake < minStake) {
    throw new Error(
      `a stake of ${formatUnits(worker.stake, 18)} FOLD is below JobMarket's minimum of ${formatUnits(minStake, 18)}`,
    );
  }
  await bindKey(ctx, owner, worker.workerId, worker.key, KeyPurpose.Worker);
  await send(ctx, owner, "FoldToken", "approve", [contractOf(ctx, "JobMarket").address, worker.stake]);
  await send(ctx, owner, "JobMarket", "registerWorker", [
    worker.workerId,
    worker.modelIds,
    worker.pricePerJob,
    worker.stake,
  ]);
}
