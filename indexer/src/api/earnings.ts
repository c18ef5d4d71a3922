// GET /farms/:id/earnings: what a farm earned, per reward epoch (its nodes' points and the FOLD they became) and per
// lease (what tenants paid for proven online time, less the market's fee), with totals.

import { db } from "ponder:api";
import { farm, lease, nodeEpoch, rewardClaim } from "ponder:schema";
import { asc, eq, sql, sum } from "ponder";

const big = (value: string | null | undefined) => BigInt(value ?? 0);

export async function farmEarnings(farmId: bigint) {
  const [found] = await db.select().from(farm).where(eq(farm.id, farmId));
  if (found === undefined) return undefined;
  const [epochs, leases, [claimed]] = await Promise.all([
    db
      .select({
        epoch: nodeEpoch.epoch,
        nodes: sql<number>`count(*)::int`,
        seconds: sum(nodeEpoch.seconds),
        points: sum(nodeEpoch.points),
        rewards: sum(nodeEpoch.rewards),
        pending: sql<number>`count(*) filter (where ${nodeEpoch.points} > 0 and ${nodeEpoch.rewards} is null)::int`,
      })
      .from(nodeEpoch)
      .where(eq(nodeEpoch.farmId, farmId))
      .groupBy(nodeEpoch.epoch)
      .orderBy(asc(nodeEpoch.epoch)),
    db
      .select({
        id: lease.id,
        nodeId: lease.nodeId,
        tenant: lease.tenant,
        state: lease.state,
        paid: lease.paid,
        fees: lease.fees,
        paidSeconds: lease.paidSeconds,
        openedAt: lease.openedAt,
        endedAt: lease.endedAt,
      })
      .from(lease)
      .where(eq(lease.farmId, farmId))
      .orderBy(asc(lease.id)),
    db
      .select({ amount: sum(rewardClaim.amount) })
      .from(rewardClaim)
      .where(eq(rewardClaim.farmId, farmId)),
  ]);
  const perLease = leases.map((l) => ({ ...l, earned: l.paid - l.fees }));
  const perEpoch = epochs.map((e) => ({
    epoch: e.epoch,
    nodes: e.nodes,
    seconds: big(e.seconds),
    points: big(e.points),
    // The FOLD the epoch's points became; null while some of its nodes' points are not final yet.
    rewards: e.pending > 0 ? null : big(e.rewards),
  }));
  return {
    farm: { id: found.id, name: found.name, identityId: found.identityId, payout: found.payout },
    perEpoch,
    perLease,
    totals: {
      leases: perLease.reduce((total, l) => total + l.earned, 0n),
      rewards: perEpoch.reduce((total, e) => total + (e.rewards ?? 0n), 0n),
      rewardsClaimed: big(claimed?.amount),
    },
  };
}
