// FarmingRewards: rewards minted to each node's farm payout.
import { ponder } from "ponder:registry";
import { node, rewardClaim } from "ponder:schema";

ponder.on("FarmingRewards:RewardsClaimed", async ({ event, context }) => {
  const { nodeId, payout, amount } = event.args;
  const claimed = await context.db.find(node, { id: nodeId });
  await context.db.insert(rewardClaim).values({
    id: event.id,
    nodeId,
    farmId: claimed?.farmId ?? 0n,
    payout,
    amount,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
});
