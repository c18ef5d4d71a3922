import type { BaseContract, Signer, TypedDataDomain } from "ethers";

/** Key purposes, as in IIdentityRegistry.KeyPurpose. */
export const Purpose = { None: 0, Node: 1, Worker: 2, Agent: 3, Operator: 4 } as const;
/** Identity kinds, as in IIdentityRegistry.IdentityKind. */
export const Kind = { Standard: 0, Agent: 1 } as const;
/** Outcomes, as in IReputationRegistry.Outcome. */
export const Outcome = { Completed: 0, Refunded: 1, Slashed: 2, ChallengeLost: 3 } as const;

export const BIND_KEY_TYPES = {
  BindKey: [
    { name: "identityId", type: "uint256" },
    { name: "key", type: "address" },
    { name: "purpose", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export async function identityDomain(registry: BaseContract, chainId?: bigint): Promise<TypedDataDomain> {
  const network = await registry.runner?.provider?.getNetwork();
  return {
    name: "Fourfold IdentityRegistry",
    version: "1",
    chainId: chainId ?? network?.chainId,
    verifyingContract: await registry.getAddress(),
  };
}

/** The key's EIP-712 signature of BindKey(identityId, key, purpose, nonce, deadline). */
export async function signBindKey(
  registry: BaseContract,
  key: Signer,
  message: { identityId: bigint | number; purpose: number; nonce: bigint | number; deadline: bigint | number },
  domainOverride: Partial<TypedDataDomain> = {},
): Promise<string> {
  const domain = { ...(await identityDomain(registry)), ...domainOverride };
  return key.signTypedData(domain, BIND_KEY_TYPES, { ...message, key: await key.getAddress() });
}

/** A URI of exactly 66 bytes, the size the gas budgets are stated for. */
export const URI_66 = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi";

/** `text` as a left-aligned bytes32 string. */
export function bytes32(text: string): string {
  const hex = Buffer.from(text, "utf8").toString("hex");
  if (hex.length > 64) throw new Error(`${text} is longer than 32 bytes`);
  return `0x${hex.padEnd(64, "0")}`;
}
