// What a job's result is made of, as every honest worker must produce it byte for byte: the model's discrete output
// as canonical JSON (RFC 8785), its sha256 (the outputHash JobMarket records), and the worker's EIP-712 signature over
// JobResult (./job-result.ts). Also the reasons a worker refuses a job's input (it then does not claim the job).
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { Hex } from "viem";

/** JSON values a model may output: discrete values only (no floats that differ in their last bits between CPUs). */
export type OutputValue = string | number | boolean | null | OutputValue[] | { [key: string]: OutputValue };

/** JobMarket's `MAX_INLINE_OUTPUT`: outputs up to this size go on-chain with the result. */
export const MAX_INLINE_OUTPUT = 4_096;

/** Why a job's input is unusable. Nothing is sent on-chain: a worker that cannot use the input never claims the job
 * (it would commit to nothing), and the job is refunded at its deadline if no worker can. */
export const REJECT_REASONS = ["InputHashMismatch", "InputUnavailable", "InputMalformed", "InputTooLarge"] as const;
export type RejectReasonName = (typeof REJECT_REASONS)[number];

/** The job's input cannot be used, for `reason`: the worker does not claim the job, and logs why. */
export class InputError extends Error {
  readonly reason: RejectReasonName;
  constructor(reason: RejectReasonName, message: string) {
    super(message);
    this.name = "InputError";
    this.reason = reason;
  }
}

export interface EncodedOutput {
  /** The canonical JSON, UTF-8. */
  readonly bytes: Uint8Array;
  /** sha256 of `bytes`. */
  readonly hash: Hex;
}

/** The canonical JSON of `output` and its sha256. Refuses non-integral numbers: only discrete outputs are hashed. */
export function encodeOutput(output: OutputValue): EncodedOutput {
  assertDiscrete(output, "output");
  const text = canonicalize(output);
  if (text === undefined) throw new TypeError("the output is not JSON");
  const bytes = new TextEncoder().encode(text);
  return { bytes, hash: sha256Hex(bytes) };
}

function assertDiscrete(value: OutputValue, at: string): void {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new TypeError(`${at} is ${value}: outputs hold integers, never floats (they differ between CPUs)`);
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) assertDiscrete(item, `${at}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) assertDiscrete(item, `${at}.${key}`);
  }
}

export function sha256Hex(bytes: Uint8Array): Hex {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}
