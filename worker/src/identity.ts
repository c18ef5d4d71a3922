// Identity helpers shared by the roles (and their tests): the EIP-712 consent a key gives to be bound to an identity.
import type { Account, Address, Hex } from "viem";

/** IdentityRegistry's key purposes. */
export const KeyPurpose = { Node: 1, Worker: 2, Agent: 3, Operator: 4 } as const;

/** The key's signature over `BindKey(identityId, key, purpose, nonce, deadline)`, as `IdentityRegistry.bindKey` takes it. */
export async function signBindKey(options: {
  key: Account & { address: Address };
  chainId: number;
  registry: Address;
  identityId: bigint;
  purpose: number;
  nonce: bigint;
  deadline: bigint;
}): Promise<Hex> {
  const { key, chainId, registry, identityId, purpose, nonce, deadline } = options;
  if (key.signTypedData === undefined) throw new Error(`the key ${key.address} cannot sign typed data`);
  return key.signTypedData({
    domain: { name: "Fourfold IdentityRegistry", version: "1", chainId, verifyingContract: registry },
    types: {
      BindKey: [
        { name: "identityId", type: "uint256" },
        { name: "key", type: "address" },
        { name: "purpose", type: "uint8" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "BindKey",
    message: { identityId, key: key.address, purpose, nonce, deadline },
  });
}
