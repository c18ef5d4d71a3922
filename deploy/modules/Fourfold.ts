import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys Fourfold. Parameters come from `deploy/parameters/<network>.json` under the "Fourfold" key:
 * - `admin`: manages roles (ReputationRegistry writers and certifiers); a TimelockController on a real network.
 *   Defaults to the deploying account.
 * - `genesisHolder`, `genesisSupply`: the FOLD genesis allocation (a treasury, or the local faucet); the rest of
 *   the supply is minted only as farming rewards. Supply defaults to zero.
 * - `heartbeatMaxGap`, `offlineAfter` (seconds): the most one node heartbeat credits, and how long after its last
 *   heartbeat a node counts as offline. Default one hour each (one heartbeat an hour, the rate the grid scales at).
 * - `treasury`, `protocolFeeBps`: where the lease market's protocol fee goes (defaults to the deploying account) and
 *   how much it is, in basis points of each lease payment (at most 1,000). Default 250 (2.5 %).
 * - `gracePeriod`, `ackWindow`, `reclaimNotice` (seconds): how long a lease short of funds stays in Grace (at most
 *   72 hours), how long a node has to acknowledge a lease, and the farm's notice before reclaiming one. Defaults: a
 *   day, an hour and a week.
 *
 * - `epochLength` (seconds), `initialEmission` (FOLD wei), `decayBps`, `decayEvery`: the farming rewards' epochs
 *   and emission schedule (default: a day; 500,000 FOLD an epoch, times 0.95 every 30 epochs),
 *   `weightCpu`, `weightMemoryGiB`, `weightSsdGiB`, `weightHddGiB`, `weightGpu`: capacity units times 1,024 (each at
 *   most 65,536), and `baselineUnits`: the most units times 1,024 an uncertified node earns on, whatever it declares
 *   (default 8,192, eight units; at most 16,384).
 *
 * - `responseWindow`, `deliveryWindow` (seconds): how long a data owner has to answer an access request, and to
 *   deliver the key of an approved one, before the requester may take the escrow back. Defaults: 3 days and a day.
 * - `minStake` (FOLD wei, 0.001 to 1,000,000 FOLD): the least a worker stakes, and the collateral each job claim and
 *   committee seat locks (default 100 FOLD); `unstakeCooldown` (seconds, default a week); `challengeWindow` (seconds,
 *   1 hour to 7 days, default a day); `challengeBond` (FOLD wei, 0.001 to 1,000,000 FOLD, default 10 FOLD);
 *   `silenceSlashBps`: the part of its collateral a worker silent at commit or reveal time loses (default 1,000:
 *   10 %); `revealWindow` (seconds, 5 minutes to a day, default an hour): how long committed workers have to reveal;
 *   `committeeSize` (odd, 1 to 9, default 3) and `committeeWindow` (seconds, 10 minutes to 7 days, default a day): a
 *   re-execution round's committee, and how long it has to be drawn and commit. JobMarket has no admin and no
 *   arbiter: disputes are settled by re-execution (docs/inference.md). It is linked to the JobSettlement library.
 *
 * The module makes FarmingRewards FOLD's minter and grants it the rewards role on NodeRegistry, and grants
 * the lease market its roles on the node and reputation registries, the data and job markets theirs on the
 * reputation registry, and the job market its role on the data market; then it seals each of those roles, so that
 * nobody (the admin included) can ever revoke them or grant them to anyone else (docs/security.md). The deploying
 * account must therefore be `admin` (the default); a real deployment hands the admin role to its timelock afterwards.
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
  const nodeRegistry = m.contract("NodeRegistry", [
    identityRegistry,
    foldToken,
    admin,
    heartbeatMaxGap,
    offlineAfter,
    {
      reputation: reputationRegistry,
      epochLength: m.getParameter("epochLength", 86_400n),
      initialEmission: m.getParameter("initialEmission", 500_000n * 10n ** 18n),
      decayBps: m.getParameter("decayBps", 9_500n),
      decayEvery: m.getParameter("decayEvery", 30n),
      // Capacity units times 1,024 per core, GiB of memory, GiB of SSD, GiB of HDD and GPU.
      weights: {
        cpu: m.getParameter("weightCpu", 1_024n),
        memoryGiB: m.getParameter("weightMemoryGiB", 256n),
        ssdGiB: m.getParameter("weightSsdGiB", 10n),
        hddGiB: m.getParameter("weightHddGiB", 2n),
        gpu: m.getParameter("weightGpu", 8_192n),
      },
      baselineUnits: m.getParameter("baselineUnits", 8_192n),
    },
  ]);
  const farmingRewards = m.contract("FarmingRewards", [foldToken, nodeRegistry, admin]);
  m.call(foldToken, "setMinter", [farmingRewards]);
  const rewardsRole = m.staticCall(nodeRegistry, "REWARDS_ROLE", [], 0, { id: "NodeRegistry_REWARDS_ROLE" });
  const grantRewards = m.call(nodeRegistry, "grantRole", [rewardsRole, farmingRewards], {
    id: "NodeRegistry_grantRewards_FarmingRewards",
  });
  const governorRole = m.staticCall(farmingRewards, "GOVERNOR_ROLE", [], 0, { id: "FarmingRewards_GOVERNOR_ROLE" });
  m.call(farmingRewards, "grantRole", [governorRole, admin], { id: "FarmingRewards_grantGovernor_admin" });

  const leaseMarket = m.contract("LeaseMarket", [
    foldToken,
    nodeRegistry,
    reputationRegistry,
    m.getParameter("treasury", deployer),
    m.getParameter("protocolFeeBps", 250n),
    m.getParameter("gracePeriod", 86_400n),
    m.getParameter("ackWindow", 3_600n),
    m.getParameter("reclaimNotice", 604_800n),
  ]);
  const marketRole = m.staticCall(nodeRegistry, "MARKET_ROLE", [], 0, { id: "NodeRegistry_MARKET_ROLE" });
  const writerRole = m.staticCall(reputationRegistry, "WRITER_ROLE", [], 0, { id: "ReputationRegistry_WRITER_ROLE" });
  const grantMarket = m.call(nodeRegistry, "grantRole", [marketRole, leaseMarket], {
    id: "NodeRegistry_grantMarket_LeaseMarket",
  });
  const grantLeaseWriter = m.call(reputationRegistry, "grantRole", [writerRole, leaseMarket], {
    id: "ReputationRegistry_grantWriter_LeaseMarket",
  });

  const dataMarket = m.contract("DataMarket", [
    foldToken,
    identityRegistry,
    reputationRegistry,
    admin,
    m.getParameter("responseWindow", 259_200n),
    m.getParameter("deliveryWindow", 86_400n),
  ]);
  const grantDataWriter = m.call(reputationRegistry, "grantRole", [writerRole, dataMarket], {
    id: "ReputationRegistry_grantWriter_DataMarket",
  });

  const jobSettlement = m.library("JobSettlement");
  const jobMarket = m.contract(
    "JobMarket",
    [
      foldToken,
      identityRegistry,
      reputationRegistry,
      dataMarket,
      [
        m.getParameter("minStake", 100n * 10n ** 18n),
        m.getParameter("unstakeCooldown", 604_800n),
        m.getParameter("challengeWindow", 86_400n),
        m.getParameter("challengeBond", 10n * 10n ** 18n),
        m.getParameter("silenceSlashBps", 1_000n),
        m.getParameter("revealWindow", 3_600n),
        m.getParameter("committeeSize", 3n),
        m.getParameter("committeeWindow", 86_400n),
      ],
    ],
    { libraries: { JobSettlement: jobSettlement } },
  );
  const grantJobWriter = m.call(reputationRegistry, "grantRole", [writerRole, jobMarket], {
    id: "ReputationRegistry_grantWriter_JobMarket",
  });
  const dataMarketRole = m.staticCall(dataMarket, "MARKET_ROLE", [], 0, { id: "DataMarket_MARKET_ROLE" });
  const grantDataMarket = m.call(dataMarket, "grantRole", [dataMarketRole, jobMarket], {
    id: "DataMarket_grantMarket_JobMarket",
  });

  // The cross-contract roles, once granted, are sealed: no admin can revoke them (freezing settlement, refunds and
  // claims) or grant them to an account of its own (moving escrow).
  m.call(nodeRegistry, "sealRole", [rewardsRole], { id: "NodeRegistry_sealRewards", after: [grantRewards] });
  m.call(nodeRegistry, "sealRole", [marketRole], { id: "NodeRegistry_sealMarket", after: [grantMarket] });
  m.call(reputationRegistry, "sealRole", [writerRole], {
    id: "ReputationRegistry_sealWriter",
    after: [grantLeaseWriter, grantDataWriter, grantJobWriter],
  });
  m.call(dataMarket, "sealRole", [dataMarketRole], { id: "DataMarket_sealMarket", after: [grantDataMarket] });

  return {
    foldToken,
    identityRegistry,
    reputationRegistry,
    nodeRegistry,
    leaseMarket,
    farmingRewards,
    dataMarket,
    jobSettlement,
    jobMarket,
  };
});
