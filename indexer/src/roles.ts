// AccessControl's role changes on every contract that has roles.
import { ponder } from "ponder:registry";
import { roleChanged } from "../lib/shared.ts";

for (const contract of ["DataMarket", "FarmingRewards", "NodeRegistry", "ReputationRegistry"] as const) {
  ponder.on(`${contract}:RoleGranted`, ({ event, context }) => roleChanged(context, event, contract, "granted"));
  ponder.on(`${contract}:RoleRevoked`, ({ event, context }) => roleChanged(context, event, contract, "revoked"));
  ponder.on(`${contract}:RoleAdminChanged`, ({ event, context }) =>
    roleChanged(context, event, contract, "adminChanged"),
  );
}
