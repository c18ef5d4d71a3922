// Leasing, as the Lease and My leases pages need it: the lease form checked before anything is sent, the manifest a
// tenant seals to the node's farm, and a lease's money and time as LeaseMarket counts them. A lease's rate is
// "scaled": base units of FOLD per hour, times 1,024 (memory is priced per GiB and leased per MiB).
import { manifestOf, paramValue } from "@fourfold/worker/manifest";
import { type Hex, parseUnits } from "viem";
import { z } from "zod";
import { foldAmount, whole } from "./forms.ts";

/** `name=value` lines: a whole number is sent as a number, anything else (or a "quoted" value) as a string. */
const params = z.string().transform((text, ctx) => {
  const values: Record<string, string | number> = {};
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const match = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*)$/.exec(line);
    if (match === null) {
      ctx.addIssue({ code: "custom", message: `Parameters, line ${index + 1}: write name=value, like message=hello` });
      return z.NEVER;
    }
    const [, name = "", value = ""] = match;
    if (name in values) {
      ctx.addIssue({ code: "custom", message: `Parameters: ${name} is given twice` });
      return z.NEVER;
    }
    values[name] = paramValue(value);
  }
  return values;
});

/** What is leased and for how long: the quote depends on these alone. */
export const leaseTerms = z
  .object({
    cpu: whole("CPU cores", 65_535),
    memoryGiB: z
      .string()
      .trim()
      .regex(/^\d{1,7}(\.\d{1,3})?$/, "Memory: GiB, like 0.5 or 2")
      .transform((v, ctx) => {
        const thousandthsMiB = parseUnits(v, 3) * 1_024n;
        if (thousandthsMiB % 1_000n === 0n) return Number(thousandthsMiB / 1_000n);
        ctx.addIssue({ code: "custom", message: "Memory: a whole number of MiB, like 0.25, 0.5 or 2 GiB" });
        return z.NEVER;
      }),
    ssdGiB: whole("SSD", 4_294_967_295),
    hddGiB: whole("HDD", 4_294_967_295),
    gpus: whole("GPUs", 65_535),
    hours: z
      .string()
      .trim()
      .regex(/^\d{1,6}(\.\d{1,2})?$/, "Prepaid hours: a number of hours, like 24")
      .transform(Number)
      .refine((h) => h > 0, "Prepaid hours: more than zero"),
  })
  .refine(
    (v) => v.cpu + v.memoryGiB + v.ssdGiB + v.hddGiB + v.gpus > 0,
    "Resources: ask for some capacity, like 1 CPU core and 1 GiB of memory",
  );
export type LeaseTerms = z.output<typeof leaseTerms>;

/** What runs: one of the farm's templates, with values for its parameters. */
export const leaseWorkload = z.object({
  template: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, "Workload: the name of one of the farm's templates, like http-echo"),
  params,
});

export type LeaseFormInput = z.input<typeof leaseTerms> & z.input<typeof leaseWorkload>;

export const NEW_LEASE: LeaseFormInput = {
  cpu: "1",
  memoryGiB: "1",
  ssdGiB: "0",
  hddGiB: "0",
  gpus: "0",
  hours: "24",
  template: "",
  params: "",
};

/** openLease's resources from a checked form. */
export const resourcesOf = (v: LeaseTerms) => ({
  cpu: v.cpu,
  memoryMiB: v.memoryGiB,
  ssdGiB: v.ssdGiB,
  hddGiB: v.hddGiB,
  gpus: v.gpus,
});

export { manifestOf };

/** Base units per hour from a scaled rate (rounded down, as the market rounds). */
export const perHour = (scaledRate: bigint) => scaledRate / 1_024n;

/** What `hours` of online time cost at `scaledRate`, rounded up to a whole base unit. */
export const costOf = (scaledRate: bigint, hours: number) => {
  const centiHours = BigInt(Math.round(hours * 100));
  return (scaledRate * centiHours + 102_400n - 1n) / 102_400n;
};

/** Online seconds that `amount` pays for at `scaledRate`. */
export const secondsFor = (amount: bigint, scaledRate: bigint) =>
  scaledRate === 0n ? Number.POSITIVE_INFINITY : Number((amount * 1_024n * 3_600n) / scaledRate);

/** A lease shows a low-balance warning when what is left pays for less than this much online time. */
export const LOW_BALANCE_SECONDS = 24 * 3_600;

/** Why a lease ended, in words, by LeaseMarket's EndReason names. */
export const ENDED_BECAUSE: Record<string, string> = {
  ClosedByTenant: "closed by you",
  OutOfFunds: "out of funds",
  Reclaimed: "reclaimed by the farm",
  NodeGone: "the node went offline",
  Rejected: "rejected by the node",
  Cancelled: "cancelled: the node did not acknowledge it",
};

/** A top-up amount in FOLD. */
export const topUpAmount = foldAmount("Amount", "5").refine((v) => v > 0n, "Amount: more than zero");

const MANIFEST = "fourfold.manifest.";

/** Keeps a lease's manifest in this browser (by its hash) until the node has it. */
export function rememberManifest(hash: Hex, template: string, values: Record<string, string | number>): void {
  localStorage.setItem(MANIFEST + hash, JSON.stringify({ template, params: values }));
}

/** The manifest kept for `hash`, if this browser has it. */
export function recallManifest(hash: Hex): { bytes: Uint8Array; hash: Hex } | undefined {
  const kept = localStorage.getItem(MANIFEST + hash);
  if (kept === null) return undefined;
  try {
    const { template, params: values } = JSON.parse(kept) as { template: string; params: Record<string, string> };
    const manifest = manifestOf(template, values);
    return manifest.hash === hash ? manifest : undefined;
  } catch {
    return undefined;
  }
}

export const forgetManifest = (hash: Hex) => localStorage.removeItem(MANIFEST + hash);
