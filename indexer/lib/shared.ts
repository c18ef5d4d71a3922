// Rows more than one contract writes: earnings withdrawn, and AccessControl's role changes.
import { roleChange, withdrawal } from "ponder:schema";

interface EventAt {
  id: string;
  block: { number: bigint; timestamp: bigint };
}
// biome-ignore lint/suspicious/noExplicitAny: Ponder's context type is per event; only context.db is used
type Db = { db: any };

export async function withdrawn(context: Db, event: EventAt, contract: string, account: `0x${string}`, amount: bigint) {
  await context.db.insert(withdrawal).values({
    id: event.id,
    contract,
    account,
    amount,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
}

export async function roleChanged(
  context: Db,
  event: EventAt & { args: { role: `0x${string}` } & Record<string, unknown> },
  contract: string,
  kind: "granted" | "revoked" | "adminChanged",
) {
  const args = event.args as {
    role: `0x${string}`;
    account?: `0x${string}`;
    sender?: `0x${string}`;
    previousAdminRole?: `0x${string}`;
    newAdminRole?: `0x${string}`;
  };
  await context.db.insert(roleChange).values({
    id: event.id,
    contract,
    role: args.role,
    kind,
    account: args.account ?? null,
    sender: args.sender ?? null,
    previousAdminRole: args.previousAdminRole ?? null,
    newAdminRole: args.newAdminRole ?? null,
    block: event.block.number,
    timestamp: event.block.timestamp,
  });
}
