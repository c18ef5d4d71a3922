// Farms and nodes: a farm belongs to an identity and pays out to an address; a node is a machine of a farm, known by
// its node key (bound to the farm's identity with the key's own signature), with its capacity, place and prices.
import { type Hex, hexToString, toHex } from "viem";
import { revertName } from "../chain.ts";
import { KeyPurpose } from "../identity.ts";
import { type ActionContext, contractOf, type Signer, send } from "./context.ts";
import { bindKey } from "./identity.ts";

export interface NodeResources {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly ssdGiB: number;
  readonly hddGiB: number;
  readonly gpus: number;
}

/** FOLD wei per hour: one core, one GiB of memory, of SSD, of HDD, one GPU. */
export interface NodePrices {
  readonly cpu: bigint;
  readonly memoryGiB: bigint;
  readonly ssdGiB: bigint;
  readonly hddGiB: bigint;
  readonly gpu: bigint;
}

/** A new farm of `owner`'s identity `identityId`, paying out to `payout` (the owner by default). */
export function createFarm(
  ctx: ActionContext,
  owner: Signer,
  identityId: bigint,
  name: string,
  payout: Hex = owner.address,
): Promise<bigint> {
  return send<bigint>(ctx, owner, "NodeRegistry", "createFarm", [identityId, name, payout]);
}

/** Registers a node of farm `farmId` (of `owner`'s identity `identityId`) whose agent holds `key`: binds the key as a
 * Node key (it signs its consent) unless it is, then registers the node. Returns the node's id. */
export async function registerNode(
  ctx: ActionContext,
  owner: Signer,
  node: {
    readonly identityId: bigint;
    readonly farmId: bigint;
    readonly key: Signer;
    readonly resources: NodeResources;
    readonly country: string;
    readonly region: string;
    readonly prices: NodePrices;
  },
): Promise<bigint> {
  if (!/^[A-Z]{2}$/.test(node.country)) throw new Error(`country ${node.country}: two capital letters, like NL`);
  // Checked first: binding the key would otherwise fail on the identity, naming it rather than the farm.
  const farmOwner = await ctx.chain.publicClient.readContract({
    ...contractOf(ctx, "NodeRegistry"),
    functionName: "farmOwner",
    args: [node.farmId],
  });
  if (farmOwner.toLowerCase() !== owner.address.toLowerCase()) {
    throw new Error(`farm #${node.farmId} belongs to ${farmOwner}, not to the signing key ${owner.address}`);
  }
  await bindKey(ctx, owner, node.identityId, node.key, KeyPurpose.Node);
  return send<bigint>(ctx, owner, "NodeRegistry", "registerNode", [
    node.farmId,
    node.key.address,
    node.resources,
    { country: toHex(node.country, { size: 2 }), region: node.region },
    node.prices,
  ]);
}

export const NODE_STATUSES = ["None", "Active", "Standby", "Decommissioned"] as const;

/** What the chain says of node `nodeId` now: its farm, state, capacity (total and leased), prices, heartbeats, what it
 * earns farming rewards on (certified, or the baseline; excluded) and the rewards it may claim. */
export async function nodeStatus(ctx: ActionContext, nodeId: bigint) {
  const nodes = contractOf(ctx, "NodeRegistry");
  const client = ctx.chain.publicClient;
  const node = await client.readContract({ ...nodes, functionName: "node", args: [nodeId] }).catch((error: unknown) => {
    throw revertName(error) === "NodeUnknown" ? new Error(`there is no node #${nodeId}`) : error;
  });
  const [[total, reserved], prices, online, standing, pendingRewards, block] = await Promise.all([
    client.readContract({ ...nodes, functionName: "capacity", args: [nodeId] }),
    client.readContract({ ...nodes, functionName: "prices", args: [nodeId] }),
    client.readContract({ ...nodes, functionName: "isOnline", args: [nodeId] }),
    client.readContract({ ...nodes, functionName: "rewardStanding", args: [nodeId] }),
    client.readContract({ ...contractOf(ctx, "FarmingRewards"), functionName: "pendingRewards", args: [nodeId] }),
    client.getBlock(),
  ]);
  return {
    nodeId,
    farmId: BigInt(node.farmId),
    identityId: node.identityId,
    status: NODE_STATUSES[node.status] ?? "None",
    country: hexToString(node.country),
    key: node.key,
    online,
    lastHeartbeat: node.lastHeartbeat,
    secondsSinceHeartbeat: node.lastHeartbeat === 0 ? undefined : Number(block.timestamp) - node.lastHeartbeat,
    onlineSeconds: Number(node.onlineSeconds),
    activeLeases: node.activeLeases,
    capacity: { total: { ...total }, leased: { ...reserved } },
    prices: { ...prices },
    rewards: {
      /** Capacity units times 1,024: declared, and earned on now (all of them while certified, at most the baseline). */
      units: standing.units,
      earningUnits: standing.earningUnits,
      /** Zero when not certified; 2^40 - 1 for a certification without expiry. */
      certifiedUntil: standing.certifiedUntil,
      excluded: standing.excluded,
    },
    pendingRewards,
  };
}
