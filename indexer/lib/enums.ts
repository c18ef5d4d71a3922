// The contracts' enums as the schema spells them: on-chain values count from 1 (0 is None) unless said.
export const IDENTITY_KINDS = ["Standard", "Agent"] as const; // from 0
export const KEY_PURPOSES = ["Node", "Worker", "Agent", "Operator"] as const;
export const OUTCOMES = ["Completed", "Refunded", "Slashed", "ChallengeLost"] as const; // from 0
export const NODE_STATUSES = ["Active", "Standby", "Decommissioned"] as const;
export const LEASE_STATES = ["Pending", "Active", "Grace", "Ended"] as const;
export const LEASE_END_REASONS = [
  "ClosedByTenant",
  "OutOfFunds",
  "Reclaimed",
  "NodeGone",
  "Rejected",
  "Cancelled",
] as const;
export const DATA_PURPOSES = ["Training", "Inference", "Analytics"] as const;
export const GRANT_STATES = [
  "Requested",
  "Active",
  "Rejected",
  "Withdrawn",
  "Cancelled",
  "Revoked",
  "Expired",
] as const;
export const JOB_STATES = ["Open", "Revealing", "Proposed", "Disputed", "Final", "Unresolved", "Refunded"] as const;
export const CLAIM_STATES = ["Drawn", "Committed", "Revealed", "Silent", "Slashed"] as const;
export const ROUND_FAILURES = ["NoCommittee", "NoMajority"] as const;

/** The name of on-chain enum value `value` in `names` (which start at `first`); an unknown value is a bug here. */
export function label<const T extends readonly string[]>(names: T, value: number | bigint, first = 1): T[number] {
  const name = names[Number(value) - first];
  if (name === undefined)
    throw new Error(`unknown enum value ${value} (expected ${first}..${names.length - 1 + first})`);
  return name;
}
