// NodeRegistry: farms, nodes (resources, prices, status, bond, certification), heartbeats aggregated into uptime per
// node per hour, reserved capacity, and each node's closed reward epochs.
import { ponder } from "ponder:registry";
import { farm, identity, node, nodeEpoch, nodeUptimeHour } from "ponder:schema";
import { hexToString } from "viem";
import { label, NODE_STATUSES } from "../lib/enums.ts";

const HOUR = 3_600n;

ponder.on("NodeRegistry:FarmCreated", async ({ event, context }) => {
  const { farmId, identityId, name, payout } = event.args;
  await context.db.insert(farm).values({
    id: farmId,
    identityId,
    name,
    payout,
    createdBlock: event.block.number,
    createdAt: event.block.timestamp,
  });
});

ponder.on("NodeRegistry:FarmPayoutSet", async ({ event, context }) => {
  await context.db.update(farm, { id: event.args.farmId }).set({ payout: event.args.payout });
});

ponder.on("NodeRegistry:IdentityExcluded", async ({ event, context }) => {
  await context.db
    .update(identity, { id: event.args.identityId })
    .set({ rewardsExcludedFromEpoch: event.args.fromEpoch });
});

ponder.on("NodeRegistry:NodeExcluded", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ excludedFromEpoch: event.args.fromEpoch });
});

ponder.on("NodeRegistry:NodeRegistered", async ({ event, context }) => {
  const { nodeId, farmId, key, resources, country, region } = event.args;
  await context.db.insert(node).values({
    id: nodeId,
    farmId,
    key,
    country: hexToString(country),
    region,
    status: "Active",
    cpu: resources.cpu,
    memoryMiB: BigInt(resources.memoryMiB),
    ssdGiB: BigInt(resources.ssdGiB),
    hddGiB: BigInt(resources.hddGiB),
    gpus: resources.gpus,
    reservedCpu: 0,
    reservedMemoryMiB: 0n,
    reservedSsdGiB: 0n,
    reservedHddGiB: 0n,
    reservedGpus: 0,
    priceCpu: 0n,
    priceMemoryGiB: 0n,
    priceSsdGiB: 0n,
    priceHddGiB: 0n,
    priceGpu: 0n,
    bond: 0n,
    certified: false,
    onlineSeconds: 0n,
    heartbeats: 0n,
    rewardsOwed: 0n,
    rewardsTaken: 0n,
    registeredBlock: event.block.number,
    registeredAt: event.block.timestamp,
  });
});

ponder.on("NodeRegistry:NodePricesSet", async ({ event, context }) => {
  const { nodeId, prices } = event.args;
  await context.db.update(node, { id: nodeId }).set({
    priceCpu: prices.cpu,
    priceMemoryGiB: prices.memoryGiB,
    priceSsdGiB: prices.ssdGiB,
    priceHddGiB: prices.hddGiB,
    priceGpu: prices.gpu,
  });
});

ponder.on("NodeRegistry:NodeStatusChanged", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ status: label(NODE_STATUSES, event.args.status) });
});

ponder.on("NodeRegistry:NodeBonded", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ bond: event.args.bond });
});

ponder.on("NodeRegistry:NodeBondRefunded", async ({ event, context }) => {
  await context.db.update(node, { id: event.args.nodeId }).set({ bond: 0n });
});

ponder.on("NodeRegistry:CertificationRefreshed", async ({ event, context }) => {
  const { nodeId, certified, until } = event.args;
  await context.db.update(node, { id: nodeId }).set({ certified, certifiedUntil: certified ? until : null });
});

/** Adds to the node's hour (by block time) `online` credited seconds, and a heartbeat or a skipped one. */
async function countHour(
  // biome-ignore lint/suspicious/noExplicitAny: Ponder's context type is per event; only context.db is used
  context: { db: any },
  nodeId: bigint,
  timestamp: bigint,
  change: { online: bigint; heartbeat: boolean },
) {
  const hour = timestamp - (timestamp % HOUR);
  const heartbeats = change.heartbeat ? 1 : 0;
  const skipped = change.heartbeat ? 0 : 1;
  await context.db
    .insert(nodeUptimeHour)
    .values({ nodeId, hour, heartbeats, onlineSeconds: change.online, skipped })
    .onConflictDoUpdate((row: typeof nodeUptimeHour.$inferSelect) => ({
      heartbeats: row.heartbeats + heartbeats,
      onlineSeconds: row.onlineSeconds + change.online,
      skipped: row.skipped + skipped,
    }));
}

ponder.on("NodeRegistry:Heartbeat", async ({ event, context }) => {
  const { nodeId, timestamp, onlineSeconds } = event.args;
  const before = await context.db.find(node, { id: nodeId });
  const credited = before === null ? 0n : onlineSeconds - before.onlineSeconds;
  await context.db
    .update(node, { id: nodeId })
    .set((row) => ({ lastHeartbeat: timestamp, onlineSeconds, heartbeats: row.heartbeats + 1n }));
  await countHour(context, nodeId, event.block.timestamp, { online: credited, heartbeat: true });
});

ponder.on("NodeRegistry:HeartbeatSkipped", async ({ event, context }) => {
  await countHour(context, event.args.nodeId, event.block.timestamp, { online: 0n, heartbeat: false });
});

ponder.on("NodeRegistry:CapacityReserved", async ({ event, context }) => {
  const { nodeId, resources: r } = event.args;
  await context.db.update(node, { id: nodeId }).set((row) => ({
    reservedCpu: row.reservedCpu + r.cpu,
    reservedMemoryMiB: row.reservedMemoryMiB + BigInt(r.memoryMiB),
    reservedSsdGiB: row.reservedSsdGiB + BigInt(r.ssdGiB),
    reservedHddGiB: row.reservedHddGiB + BigInt(r.hddGiB),
    reservedGpus: row.reservedGpus + r.gpus,
  }));
});

ponder.on("NodeRegistry:CapacityReleased", async ({ event, context }) => {
  const { nodeId, resources: r } = event.args;
  await context.db.update(node, { id: nodeId }).set((row) => ({
    reservedCpu: row.reservedCpu - r.cpu,
    reservedMemoryMiB: row.reservedMemoryMiB - BigInt(r.memoryMiB),
    reservedSsdGiB: row.reservedSsdGiB - BigInt(r.ssdGiB),
    reservedHddGiB: row.reservedHddGiB - BigInt(r.hddGiB),
    reservedGpus: row.reservedGpus - r.gpus,
  }));
});

/** The node's pending epoch became `amount` FOLD. */
async function epochRewarded(
  // biome-ignore lint/suspicious/noExplicitAny: as in countHour
  context: { db: any },
  nodeId: bigint,
  epoch: bigint,
  amount: bigint,
) {
  await context.db.update(nodeEpoch, { nodeId, epoch }).set({ rewards: amount });
  await context.db
    .update(node, { id: nodeId })
    .set((row: typeof node.$inferSelect) => ({ rewardsOwed: row.rewardsOwed + amount, pendingEpoch: null }));
}

// `owed` is what the node's previously pending epoch turned into; this epoch's points (if any) now wait in turn.
ponder.on("NodeRegistry:EpochClosed", async ({ event, context }) => {
  const { nodeId, epoch, seconds_, units, points, owed } = event.args;
  const before = await context.db.find(node, { id: nodeId });
  if (before === null) return;
  if (before.pendingEpoch !== null && before.pendingEpoch !== undefined) {
    await epochRewarded(context, nodeId, before.pendingEpoch, owed);
  }
  await context.db.insert(nodeEpoch).values({
    nodeId,
    epoch,
    farmId: before.farmId,
    seconds: seconds_,
    units,
    points,
    closedBlock: event.block.number,
    closedAt: event.block.timestamp,
  });
  if (points !== 0n) await context.db.update(node, { id: nodeId }).set({ pendingEpoch: epoch });
});

ponder.on("NodeRegistry:RewardsOwed", async ({ event, context }) => {
  await epochRewarded(context, event.args.nodeId, event.args.epoch, event.args.amount);
});

ponder.on("NodeRegistry:RewardsTaken", async ({ event, context }) => {
  const { nodeId, amount } = event.args;
  await context.db.update(node, { id: nodeId }).set((row) => ({ rewardsTaken: row.rewardsTaken + amount }));
});
