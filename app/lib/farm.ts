// The Farm page's forms, checked before anything is sent: the same rules the contracts apply, in words.
import { isCountry } from "@fourfold/worker/country";
import { isAddress, toHex } from "viem";
import { z } from "zod";
import { foldAmount, whole } from "./forms.ts";

export const handle = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$/,
    "Handle: 3 to 32 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
  );

export const farmForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Name: give the farm a name")
    .refine((v) => new TextEncoder().encode(v).length <= 64, "Name: at most 64 bytes"),
  payout: z
    .string()
    .trim()
    .refine((v) => isAddress(v, { strict: false }), "Payout: a 0x address of 40 hex digits"),
});

export const nodeForm = z.object({
  cpu: whole("CPU cores", 65_535).refine((n) => n > 0, "CPU cores: at least 1"),
  memoryGiB: whole("Memory", 4_194_303).refine((n) => n > 0, "Memory: at least 1 GiB"),
  ssdGiB: whole("SSD", 4_294_967_295),
  hddGiB: whole("HDD", 4_294_967_295),
  gpus: whole("GPUs", 65_535),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, "Country: two letters, like NL")
    .refine(isCountry, {
      error: (issue) => `Country: ${String(issue.input)} is not an ISO 3166-1 country code (like NL, SE, US)`,
    }),
  region: z
    .string()
    .trim()
    .min(1, "Region: say where it is, like eu-west")
    .refine((v) => new TextEncoder().encode(v).length <= 64, "Region: at most 64 bytes"),
  priceCpu: foldAmount("Price per core-hour"),
  priceMemoryGiB: foldAmount("Price per GiB-hour of memory"),
  priceSsdGiB: foldAmount("Price per GiB-hour of SSD"),
  priceHddGiB: foldAmount("Price per GiB-hour of HDD"),
  priceGpu: foldAmount("Price per GPU-hour"),
});
export type NodeFormInput = z.input<typeof nodeForm>;

export const NEW_NODE: NodeFormInput = {
  cpu: "4",
  memoryGiB: "8",
  ssdGiB: "100",
  hddGiB: "0",
  gpus: "0",
  country: "",
  region: "",
  priceCpu: "0.01",
  priceMemoryGiB: "0.001",
  priceSsdGiB: "0.0001",
  priceHddGiB: "0",
  priceGpu: "0",
};

/** registerNode's resources, location and prices from a checked form. */
export function nodeArgs(n: z.output<typeof nodeForm>) {
  return {
    resources: { cpu: n.cpu, memoryMiB: n.memoryGiB * 1024, ssdGiB: n.ssdGiB, hddGiB: n.hddGiB, gpus: n.gpus },
    location: { country: toHex(n.country, { size: 2 }), region: n.region },
    prices: {
      cpu: n.priceCpu,
      memoryGiB: n.priceMemoryGiB,
      ssdGiB: n.priceSsdGiB,
      hddGiB: n.priceHddGiB,
      gpu: n.priceGpu,
    },
  };
}
