"use client";
// What a node earns farming rewards on, read from NodeRegistry.rewardStanding: all the capacity it declared while a
// certifier's attestation stands behind it (times 1.25), at most the baseline otherwise, nothing once excluded.
import { nodeRegistryAbi } from "@fourfold/contracts";
import { describeRewardStanding } from "@fourfold/worker/rewards";
import { useReadContract } from "wagmi";
import { useContracts } from "@/lib/contracts";

export function RewardStanding({ nodeId }: { nodeId: string }) {
  const registry = useContracts().NodeRegistry;
  const standing = useReadContract({
    address: registry,
    abi: nodeRegistryAbi,
    functionName: "rewardStanding",
    args: [BigInt(nodeId)],
    query: { enabled: registry !== undefined, refetchInterval: 15_000 },
  });
  if (standing.isError) return <span className="error">unknown ({standing.error.message.split("\n")[0]})</span>;
  if (standing.data === undefined) return <span className="muted">…</span>;
  return <span data-testid={`standing-${nodeId}`}>{describeRewardStanding(standing.data)}</span>;
}
