"use client";
// What a node earns farming rewards on, read from NodeRegistry.rewardStanding: all the capacity it declared while a
// certifier's attestation stands behind it (times 1.25), at most the baseline otherwise, nothing once excluded.
import { nodeRegistryAbi } from "@fourfold/contracts";
import { useReadContract } from "wagmi";
import { useContracts } from "@/lib/contracts";

const NO_EXPIRY = 2n ** 40n - 1n;

/** Capacity units are kept times 1,024 on-chain. */
function units(scaled: bigint): string {
  return (Number(scaled) / 1_024).toLocaleString("en", { maximumFractionDigits: 1 });
}

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
  const s = standing.data;
  if (s === undefined) return <span className="muted">…</span>;
  if (s.excluded) return <span data-testid={`standing-${nodeId}`}>Excluded from farming rewards</span>;
  if (s.certifiedUntil !== 0n) {
    const until =
      s.certifiedUntil === NO_EXPIRY
        ? "with no expiry"
        : `until ${new Date(Number(s.certifiedUntil) * 1_000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
    return (
      <span data-testid={`standing-${nodeId}`}>
        Certified {until}: earns on all {units(s.units)} capacity units, ×1.25
      </span>
    );
  }
  const capped = s.earningUnits < s.units;
  return (
    <span data-testid={`standing-${nodeId}`}>
      Uncertified: earns on {units(s.earningUnits)}
      {capped ? ` of its ${units(s.units)} declared` : ""} capacity units{capped ? " (the baseline)" : ""}
    </span>
  );
}
