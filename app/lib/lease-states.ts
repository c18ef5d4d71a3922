// LeaseMarket's states and end reasons, by their numbers on-chain, and the end reasons in words. Kept apart from
// lib/lease.ts (and its zod forms) because every transaction's error decoding needs the names.

export const LEASE_STATES = ["None", "Pending", "Active", "Grace", "Ended"] as const;
export const END_REASONS = [
  "None",
  "ClosedByTenant",
  "OutOfFunds",
  "Reclaimed",
  "NodeGone",
  "Rejected",
  "Cancelled",
] as const;

/** Why a lease ended, in words. */
export const ENDED_BECAUSE: Record<string, string> = {
  ClosedByTenant: "closed by you",
  OutOfFunds: "out of funds",
  Reclaimed: "reclaimed by the farm",
  NodeGone: "the node went offline",
  Rejected: "rejected by the node",
  Cancelled: "cancelled: the node did not acknowledge it",
};
