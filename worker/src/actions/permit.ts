// ERC-2612 permits for FOLD: the payer signs "the market may take this much", and the market's *WithPermit call
// applies it in the transaction that pays. One transaction instead of approve + pay, and a payment the market refuses
// leaves no allowance behind.
import type { Address, Hex } from "viem";
import { permitOf, permitTypedData } from "../permit.ts";
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
  const [domain, nonce, block] = await Promise.all([
    client.readContract({ ...token, functionName: "eip712Domain" }),
    client.readContract({ ...token, functionName: "nonces", args: [owner.address] }),
    client.getBlock(),
  ]);
  const deadline = block.timestamp + 3_600n;
  const signature = await owner.signTypedData(
    permitTypedData(domain, { owner: owner.address, spender, value, nonce, deadline }),
  );
  return permitOf(signature, deadline);
}
