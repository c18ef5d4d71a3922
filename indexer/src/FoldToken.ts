// FoldToken: balances, approvals, transfers, total supply and the minter.
import { ponder } from "ponder:registry";
import { account, approval, token, tokenTransfer } from "ponder:schema";
import { zeroAddress } from "viem";

ponder.on("FoldToken:Transfer", async ({ event, context }) => {
  const { from, to, value } = event.args;
  await context.db.insert(tokenTransfer).values({
    id: event.id,
    from,
    to,
    value,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
  if (from === zeroAddress || to === zeroAddress) {
    const minted = from === zeroAddress ? value : -value;
    await context.db
      .insert(token)
      .values({ id: 1, totalSupply: minted })
      .onConflictDoUpdate((row) => ({ totalSupply: row.totalSupply + minted }));
  }
  if (from !== zeroAddress) {
    await context.db.update(account, { address: from }).set((row) => ({ balance: row.balance - value }));
  }
  if (to !== zeroAddress) {
    await context.db
      .insert(account)
      .values({ address: to, balance: value })
      .onConflictDoUpdate((row) => ({ balance: row.balance + value }));
  }
});

ponder.on("FoldToken:Approval", async ({ event, context }) => {
  const { owner, spender, value } = event.args;
  const block = event.block.number;
  await context.db.insert(approval).values({ owner, spender, value, block }).onConflictDoUpdate({ value, block });
});

ponder.on("FoldToken:MinterSet", async ({ event, context }) => {
  await context.db
    .insert(token)
    .values({ id: 1, minter: event.args.minter, totalSupply: 0n })
    .onConflictDoUpdate({ minter: event.args.minter });
});
