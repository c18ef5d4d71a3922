// Data, as the Data page needs it: the dataset and access-request forms checked before anything is sent, the
// purposes as DataMarket's bits, and the two secrets this browser keeps: an identity's X25519 secret key (dataset
// keys are sealed to its public half on-chain) and each dataset key its owner made here (to deliver to grantees).
import { bytesToHex, hexToBytes, keccak256, toBytes } from "viem";
import { z } from "zod";
import { foldAmount, whole } from "./forms.ts";

/** DataMarket's Purpose names, from 1; a dataset's `purposes` has bit `1 << value` for each allowed. */
export const PURPOSES = ["Training", "Inference", "Analytics"] as const;
export type PurposeName = (typeof PURPOSES)[number];
export const purposeValue = (name: PurposeName) => PURPOSES.indexOf(name) + 1;
export const purposeBits = (names: readonly PurposeName[]) =>
  names.reduce((bits, name) => bits | (1 << purposeValue(name)), 0);
export const allowedPurposes = (bits: number) => PURPOSES.filter((name) => (bits & (1 << purposeValue(name))) !== 0);

const DAY = 86_400;

export const datasetForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Name: what the market lists it as, like EU city temperatures")
    .refine((v) => new TextEncoder().encode(v).length <= 64, "Name: at most 64 bytes"),
  pricePerDay: foldAmount("Price per day"),
  pricePerUse: foldAmount("Price per use"),
  maxDays: whole("Longest access (days)", 49_710).refine((d) => d >= 1, "Longest access (days): at least 1"),
  purposes: z.array(z.enum(PURPOSES)).min(1, "Purposes: allow at least one"),
  autoApprove: z.boolean(),
  licence: z.string().trim().min(1, "Licence: say what a grantee may do with the data, or link to it"),
});
export type DatasetFormInput = z.input<typeof datasetForm>;
export const NEW_DATASET: DatasetFormInput = {
  name: "",
  pricePerDay: "1",
  pricePerUse: "0.1",
  maxDays: "30",
  purposes: ["Inference"],
  autoApprove: false,
  licence: "",
};

/** registerDataset's terms from a checked form. */
export const termsOf = (v: z.output<typeof datasetForm>) => ({
  pricePerDay: v.pricePerDay,
  pricePerUse: v.pricePerUse,
  maxDuration: v.maxDays * DAY,
  purposes: purposeBits(v.purposes),
  autoApprove: v.autoApprove,
  licenceHash: keccak256(toBytes(v.licence)),
});

/** An access request's terms, checked against the dataset's. */
export const accessForm = (maxDuration: number, purposes: readonly PurposeName[]) =>
  z.object({
    purpose: z.enum(PURPOSES).refine((p) => purposes.includes(p), "Purpose: not one this dataset allows"),
    days: z
      .string()
      .trim()
      .regex(/^\d{1,5}(\.\d{1,2})?$/, "Days: a number of days, like 7")
      .transform(Number)
      .refine((d) => d > 0, "Days: more than zero")
      .refine((d) => d * DAY <= maxDuration, `Days: at most ${maxDuration / DAY} for this dataset`),
    uses: whole("Uses", 4_294_967_295),
  });
export type AccessFormInput = { purpose: string; days: string; uses: string };

/** Seconds of access from days (rounded to the second). */
export const secondsOf = (days: number) => Math.round(days * DAY);

// ---------------------------------------------------------------------------------------------------------------
// The secrets this browser keeps (localStorage): nothing here leaves the browser but public keys and sealed keys.

const identityKeyName = (chainId: number, identityId: string) => `fourfold.x25519.${chainId}.${identityId}`;
const datasetKeyName = (chainId: number, blob: string) => `fourfold.datasetKey.${chainId}.${blob}`;

export function keepIdentitySecret(chainId: number, identityId: string, secret: Uint8Array): void {
  localStorage.setItem(identityKeyName(chainId, identityId), bytesToHex(secret));
}
export function identitySecret(chainId: number, identityId: string): Uint8Array | undefined {
  const kept = localStorage.getItem(identityKeyName(chainId, identityId));
  return kept === null ? undefined : hexToBytes(kept as `0x${string}`);
}

/** A dataset key, by the encrypted blob it opens (its URI names the blob's sha256). */
export function keepDatasetKey(chainId: number, encryptedUri: string, key: Uint8Array): void {
  localStorage.setItem(datasetKeyName(chainId, encryptedUri), bytesToHex(key));
}
export function datasetKey(chainId: number, encryptedUri: string): Uint8Array | undefined {
  const kept = localStorage.getItem(datasetKeyName(chainId, encryptedUri));
  return kept === null ? undefined : hexToBytes(kept as `0x${string}`);
}
