import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys Fourfold. Parameters come from `deploy/parameters/<network>.json` under the "Fourfold" key:
 * - `admin`: manages roles (ReputationRegistry writers and certifiers); a TimelockController on a real network.
 *   Defaults to the deploying account.
 * - `genesisHolder`, `genesisSupply`: the FOLD genesis allocation (a treasury, or the local faucet); the rest of
 *   the supply is minted only as farming rewards. Supply defaults to zero.
 *
 * The tests deploy through this module, so it is tested with everything else.
 */
export default buildModule("Fourfold", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const genesisHolder = m.getParameter("genesisHolder", deployer);
  const genesisSupply = m.getParameter("genesisSupply", 0n);

  const foldToken = m.contract("FoldToken", [genesisHolder, genesisSupply]);
  const identityRegistry = m.contract("IdentityRegistry");
  const reputationRegistry = m.contract("ReputationRegistry", [identityRegistry, admin]);

  return { foldToken, identityRegistry, reputationRegistry };
});
