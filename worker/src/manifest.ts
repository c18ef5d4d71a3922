// A lease's manifest: which of the farm's workload templates to run, with which parameters, as JSON. The tenant seals
// it to the farm's X25519 key; the lease holds its keccak256 (the deployment hash), which the node's agent checks
// before it runs anything. The dApp, the CLI and the tests make it here.
import { type Hex, keccak256, toBytes } from "viem";

/** The manifest's bytes (what the node decrypts) and their hash (the lease's deployment hash). */
export function manifestOf(
  template: string,
  params: Record<string, string | number>,
): { bytes: Uint8Array; hash: Hex } {
  const bytes = toBytes(JSON.stringify({ template, params }));
  return { bytes, hash: keccak256(bytes) };
}

/** A parameter's name: a letter, then letters and digits. */
export const PARAM_NAME = /^[a-zA-Z][a-zA-Z0-9]{0,63}$/;

/** A parameter's value as typed: "quoted" is that string, a whole number is a number, anything else a string. */
export function paramValue(raw: string): string | number {
  const quoted = /^"(.*)"$/s.exec(raw);
  if (quoted) return quoted[1] ?? "";
  return /^-?\d{1,15}$/.test(raw) ? Number(raw) : raw;
}
