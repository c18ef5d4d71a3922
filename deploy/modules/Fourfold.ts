import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys Fourfold. Parameters come from `deploy/parameters/<network>.json` under the "Fourfold" key:
 * - `admin`: manages roles (ReputationRegistry writers and certifiers); a TimelockController on a real network.
 *   Defaults to the deploying account.
 * - `genesisHolder`, `genesisSupply`: the FOLD genesis allocation (a treasury, or the local faucet); the rest of
 *   the supply is minted only as farming rewards. Supply defaults to zero.
 * - `heartbeatMaxGap`, `offlineAfter` (seconds): the most one node heartbeat credits, and how long after its last
 *   heartbeat a node counts as offline. Default one hour each (one heartbeat an hour, the rate the grid scales at).
 *
 * The tests deploy through this module, so it is tested with everything else.
 */
export default buildModule("Fourfold", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const genesisHolder = m.getParameter("genesisHolder", deployer);
  const genesisSupply = m.getParameter("genesisSupply", 0n);
  const heartbeatMaxGap = m.getParameter("heartbeatMaxGap", 3600n);
  const offlineAfter = m.getParameter("offlineAfter", 3600n);

  const foldToken = m.contract("FoldToken", [genesisHolder, genesisSupply]);
  const identityRegistry = m.contract("IdentityRegistry");
  const reputationRegistry = m.contract("ReputationRegistry", [identityRegistry, admin]);
  const nodeRegistry = m.contract("NodeRegistry", [identityRegistry, admin, heartbeatMaxGap, offlineAfter]);

  return { foldToken, identityRegistry, reputationRegistry, nodeRegistry };
});
