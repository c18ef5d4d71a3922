// A receipt (ReputationRegistry) as a person reads it: who was paid, and for what. The markets record their kind
// ("lease", "job", "data": a bytes32 of the word) and the lease, job or grant id as its ref.
import { type Hex, hexToString } from "viem";

export interface ReceiptSubject {
  /** "lease #1", "job #4", "data grant #2", or the raw kind and ref of a market this page does not know. */
  readonly label: string;
  /** Where it is shown in this app, if anywhere. */
  readonly href?: string;
}

export function receiptSubject(kind: Hex, ref: Hex): ReceiptSubject {
  const word = hexToString(kind, { size: 32 }).replace(/\0+$/, "");
  const id = BigInt(ref);
  switch (word) {
    case "lease":
      return { label: `lease #${id}`, href: "/leases" };
    case "job":
      return { label: `job #${id}`, href: `/jobs/${id}` };
    case "data":
      return { label: `data grant #${id}`, href: "/data" };
    default:
      return { label: `${word || kind} ${ref}` };
  }
}
