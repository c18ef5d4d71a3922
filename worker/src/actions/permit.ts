// ERC-2612 permits for FOLD: the payer signs "the market may take this much", and the market's *WithPermit call
// applies it in the transaction that pays. One transaction instead of approve + pay, and a payment the market refuses
// leaves no allowance behind.
import { type Address, type Hex, parseSignature } from "viem";
import { type ActionContext, contractOf, type Signer } from "./context.ts";

/** The markets' `Permits.Permit`, signed by `owner` for `spender` to take `value` FOLD within the hour. */
export async function signPermit(
  ctx: ActionContext,
  owner: Signer,
  spender: Address,
  value: bigint,
): Promise<{ deadline: bigint; v: number; r: Hex; s: Hex }> {
  if (owner.signTypedData === undefined) throw new Error(`the key ${owner.address} cannot sign typed data`);
  const token = contractOf(ctx, "FoldToken");
  const client = ctx.chain.publicClient;
  const [[, name, version, chainId, verifyingContract], nonce, block] = await Promise.all([
    client.readContract({ ...token, functionName: "eip712Domain" }),
    client.readContract({ ...token, functionName: "nonces", args: [owner.address] }),
    client.getBlock(),
  ]);
  const deadline = block.timestamp + 3_600n;
  const signature = await owner.signTypedData({
    domain: { name, version, chainId: Number(chainId), verifyingContract },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: owner.address, spender, value, nonce, deadline },
  });
  const { r, s, v, yParity } = parseSignature(signature);
  return { deadline, v: Number(v ?? BigInt(yParity + 27)), r, s };
}
