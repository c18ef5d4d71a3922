// AI jobs, as the AI jobs pages need them: the request form checked before anything is sent, the input placed
// (inline on-chain when it is small, else in the app's blob store by URI), and a job's output read for people.
import { hexToBytes, sha256, toHex } from "viem";
import { z } from "zod";
import { foldAmount, whole } from "./forms.ts";

/** JobMarket's MAX_INLINE_INPUT: inputs up to this size go on-chain with the request. */
export const MAX_INLINE_INPUT = 4_096;
/** JobMarket's MAX_REDUNDANCY and MAX_JOB_DURATION. */
export const MAX_REDUNDANCY = 5;
export const MAX_JOB_HOURS = 30 * 24;

export const jobForm = z.object({
  modelId: z.string().regex(/^[1-9]\d*$/, "Model: choose one"),
  redundancy: whole("Workers", MAX_REDUNDANCY).refine((k) => k >= 1, "Workers: at least 1"),
  maxFeePerWorker: foldAmount("Most per worker", "2").refine((v) => v > 0n, "Most per worker: more than zero"),
  hours: whole("Deadline", MAX_JOB_HOURS).refine((h) => h >= 1, "Deadline: at least 1 hour"),
});
export type JobFormInput = z.input<typeof jobForm>;

export const NEW_JOB: JobFormInput = { modelId: "", redundancy: "1", maxFeePerWorker: "", hours: "2" };

/** The job's input: an uploaded file, or text typed in (UTF-8); exactly one. */
export function jobInput(
  file: Uint8Array | undefined,
  text: string,
): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  if (file !== undefined && text.trim() !== "") return { ok: false, error: "Input: give a file or text, not both" };
  if (file !== undefined)
    return file.length > 0 ? { ok: true, bytes: file } : { ok: false, error: "Input: the file is empty" };
  if (text.trim() === "") return { ok: false, error: "Input: choose an image file, or type text" };
  return { ok: true, bytes: new TextEncoder().encode(text) };
}

/** Where the request carries `bytes`: inline when they fit, else at a URI (the caller stores them there). */
export function placeInput(bytes: Uint8Array): { inline: boolean; hash: `0x${string}`; input: `0x${string}` } {
  const inline = bytes.length <= MAX_INLINE_INPUT;
  return { inline, hash: sha256(bytes), input: inline ? toHex(bytes) : "0x" };
}

/** A job's output (the final result's canonical JSON, as hex) as the fields it holds, or its text when not JSON. */
export function readOutput(hex: string): Record<string, unknown> | string {
  const text = new TextDecoder().decode(hexToBytes(hex as `0x${string}`));
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : text;
  } catch {
    return text;
  }
}
