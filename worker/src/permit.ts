// ERC-2612's Permit as EIP-712 typed data, and a signature split into the markets' `Permits.Permit` struct: one
// definition for every signer (the dApp's wallets through wagmi, the CLI's and the demo's keys through viem).
import { type Address, type Hex, parseSignature } from "viem";

export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** FOLD's EIP-712 domain as `eip712Domain()` returns it, and the message `owner` signs to let `spender` take `value`. */
export function permitTypedData(
  domain: readonly [Hex, string, string, bigint, Address, Hex, readonly bigint[]],
  message: { owner: Address; spender: Address; value: bigint; nonce: bigint; deadline: bigint },
) {
  const [, name, version, chainId, verifyingContract] = domain;
  return {
    domain: { name, version, chainId: Number(chainId), verifyingContract },
    types: PERMIT_TYPES,
    primaryType: "Permit" as const,
    message,
  };
}

/** The `Permits.Permit` struct the markets' *WithPermit calls take, from the owner's signature. */
export function permitOf(signature: Hex, deadline: bigint): { deadline: bigint; v: number; r: Hex; s: Hex } {
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline, v: Number(v ?? BigInt(yParity + 27)), r, s };
}
