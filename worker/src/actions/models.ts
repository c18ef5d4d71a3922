// The inference market's supply side: models registered by their owners with the hash of their weights, and staked
// workers serving them.
import { type Address, formatUnits, type Hex } from "viem";
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

/**
 * Checks a worker's registration against what the chain knows, and throws in words what would make it fail: a stake
 * under JobMarket's minimum or beyond `owner`'s FOLD, a model that does not exist or takes no jobs. Nothing is sent.
 */
export async function checkWorker(
  ctx: ActionContext,
  owner: Address,
  worker: { readonly modelIds: readonly bigint[]; readonly stake: bigint },
): Promise<void> {
  const client = ctx.chain.publicClient;
  const market = contractOf(ctx, "JobMarket");
  const [minStake, balance, modelCount] = await Promise.all([
    client.readContract({ ...market, functionName: "minStake" }),
    client.readContract({ ...contractOf(ctx, "FoldToken"), functionName: "balanceOf", args: [owner] }),
    client.readContract({ ...market, functionName: "modelCount" }),
  ]);
  if (worker.stake < minStake) {
    throw new Error(
      `a stake of ${formatUnits(worker.stake, 18)} FOLD is below JobMarket's minimum of ${formatUnits(minStake, 18)}`,
    );
  }
  if (worker.stake > balance) {
    throw new Error(
      `a stake of ${formatUnits(worker.stake, 18)} FOLD is more than the ${formatUnits(balance, 18)} FOLD ${owner} holds`,
    );
  }
  for (const modelId of worker.modelIds) {
    if (modelId > modelCount) throw new Error(`there is no model #${modelId}`);
    const model = await client.readContract({ ...market, functionName: "model", args: [modelId] });
    if (!model.active) throw new Error(`model #${modelId} takes no new jobs (its owner deactivated it)`);
  }
}

/** Makes `owner`'s identity `workerId` a worker serving `modelIds` at `pricePerJob`, staking `stake` FOLD (approved
 * here), with `key` bound as its Worker key: the key the worker program signs results with. Checked first
 * (`checkWorker`), so a registration that would fail changes nothing. */
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
  await checkWorker(ctx, owner.address, worker);
  await bindKey(ctx, owner, worker.workerId, worker.key, KeyPurpose.Worker);
  await send(ctx, owner, "FoldToken", "approve", [contractOf(ctx, "JobMarket").address, worker.stake]);
  await send(ctx, owner, "JobMarket", "registerWorker", [
    worker.workerId,
    worker.modelIds,
    worker.pricePerJob,
    worker.stake,
  ]);
}
