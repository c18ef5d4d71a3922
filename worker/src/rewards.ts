// What a node earns farming rewards on, in words, from NodeRegistry.rewardStanding: the one wording the dApp and the
// CLI show. Browser-safe (no Node built-ins).

/** NodeRegistry's `certifiedUntil` for a certification without expiry: the end of 40-bit time. */
export const NO_EXPIRY = 2n ** 40n - 1n;

/** NodeRegistry.rewardStanding's answer. Capacity units are kept times 1,024 on-chain. */
export interface RewardStanding {
  readonly units: bigint;
  readonly earningUnits: bigint;
  readonly certifiedUntil: bigint;
  readonly excluded: boolean;
}

/** Capacity units (kept times 1,024) as a person reads them: "16.9". */
export function capacityUnits(scaled: bigint): string {
  return (Number(scaled) / 1_024).toLocaleString("en", { maximumFractionDigits: 1 });
}

/**
 * "Excluded from farming rewards", "Certified until 2026-12-06 22:00 UTC: earns on all 21.4 capacity units, ×1.25",
 * or "Uncertified: earns on 8 of 16.9 declared capacity units (the baseline)".
 */
export function describeRewardStanding(s: RewardStanding): string {
  if (s.excluded) return "Excluded from farming rewards";
  if (s.certifiedUntil !== 0n) {
    const until =
      s.certifiedUntil === NO_EXPIRY
        ? "with no expiry"
        : `until ${new Date(Number(s.certifiedUntil) * 1_000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
    return `Certified ${until}: earns on all ${capacityUnits(s.units)} capacity units, ×1.25`;
  }
  if (s.earningUnits < s.units) {
    return `Uncertified: earns on ${capacityUnits(s.earningUnits)} of ${capacityUnits(s.units)} declared capacity units (the baseline)`;
  }
  return `Uncertified: earns on its ${capacityUnits(s.units)} capacity units`;
}
