import { expect } from "chai";
import type { Signer } from "ethers";
import type { NodeRegistry } from "../../types/ethers-contracts/index.ts";
import { actAs, deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import {
  bindKey,
  HEARTBEAT_TYPES,
  NodeStatus,
  Purpose,
  SkipReason,
  signBindKey,
  signedHeartbeat,
  signHeartbeat,
} from "./helpers.ts";

const FAR = 2n ** 40n;
const MAX_GAP = 300n; // deploy/parameters/hardhat.json
const OFFLINE_AFTER = 300n;
const ONE = 10n ** 18n;
const { time } = networkHelpers;

const RESOURCES = { cpu: 8, memoryMiB: 16_384, ssdGiB: 500, hddGiB: 2_000, gpus: 1 };
const RESOURCES_TUPLE = [8n, 16_384n, 500n, 2_000n, 1n];
const PRICES = { cpu: ONE / 100n, memoryGiB: ONE / 200n, ssdGiB: ONE / 10_000n, hddGiB: ONE / 50_000n, gpu: ONE / 2n };
const PRICES_TUPLE = [PRICES.cpu, PRICES.memoryGiB, PRICES.ssdGiB, PRICES.hddGiB, PRICES.gpu];
const LOCATION = { country: "0x4245", region: "u151" }; // BE, a geohash near Ghent
const NONE = { cpu: 0, memoryMiB: 0, ssdGiB: 0, hddGiB: 0, gpus: 0 };

/** The registry's reward policy as a plain object, to deploy another registry with. */
async function rewardPolicy(nodes: NodeRegistry) {
  const [p] = await nodes.rewardPolicy();
  const w = p.weights;
  return {
    reputation: p.reputation,
    epochLength: p.epochLength,
    initialEmission: p.initialEmission,
    decayBps: p.decayBps,
    decayEvery: p.decayEvery,
    weights: { cpu: w.cpu, memoryGiB: w.memoryGiB, ssdGiB: w.ssdGiB, hddGiB: w.hddGiB, gpu: w.gpu },
    baselineUnits: p.baselineUnits,
  };
}

/** alice owns identity 1 and farm 1 (paying out to `payout`); bob owns identity 2. */
async function withFarm() {
  const base = await deployFourfold();
  const [deployer, alice, bob, payout, nodeKey, otherKey, , stranger] = base.signers;
  const reg = base.identityRegistry;
  const nodes = base.nodeRegistry;
  await reg.connect(alice).register("alice", "");
  await reg.connect(bob).register("bob", "");
  await nodes.connect(alice).createFarm(1n, "Alice's farm", payout.address);
  // The lease market holds the market role, sealed: the tests call as the lease market.
  const market = await actAs(await base.leaseMarket.getAddress());
  return { ...base, reg, nodes, deployer, alice, bob, payout, nodeKey, otherKey, market, stranger };
}

/** Binds `key` to `identityId` as a Node key (or for `purpose`). */
async function bindNodeKey(
  reg: Awaited<ReturnType<typeof withFarm>>["reg"],
  owner: Signer,
  identityId: bigint,
  key: Signer,
  purpose: number = Purpose.Node,
) {
  await (await bindKey(reg, owner, identityId, key, purpose)).wait();
}

/** Plus node 1 in farm 1, with `nodeKey` bound to identity 1 as its Node key. */
async function withNode() {
  const base = await withFarm();
  await bindNodeKey(base.reg, base.alice, 1n, base.nodeKey);
  await base.nodes.connect(base.alice).registerNode(1n, base.nodeKey.address, RESOURCES, LOCATION, PRICES);
  return base;
}

/** Plus a first heartbeat, so node 1 is online. */
async function withOnlineNode() {
  const base = await withNode();
  await base.nodes.connect(base.nodeKey).heartbeat(1n);
  return { ...base, firstBeat: BigInt(await time.latest()) };
}

describe("NodeRegistry", () => {
  describe("deployment", () => {
    it("knows its identity registry, its timing and its admin", async () => {
      const { nodeRegistry: nodes, identityRegistry, deployer } = await networkHelpers.loadFixture(deployFourfold);
      expect(await nodes.identityRegistry()).to.equal(await identityRegistry.getAddress());
      expect(await nodes.maxGap()).to.equal(MAX_GAP);
      expect(await nodes.offlineAfter()).to.equal(OFFLINE_AFTER);
      expect(await nodes.hasRole(await nodes.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(true);
      expect(await nodes.farmCount()).to.equal(0n);
      expect(await nodes.nodeCount()).to.equal(0n);
    });

    for (const [maxGap, offlineAfter] of [
      [59n, 300n],
      [86_401n, 300n],
      [300n, 59n],
      [300n, 86_401n],
    ]) {
      it(`refuses the timing (${maxGap}, ${offlineAfter})`, async () => {
        const { identityRegistry, foldToken, nodeRegistry, deployer } =
          await networkHelpers.loadFixture(deployFourfold);
        const factory = await ethers.getContractFactory("NodeRegistry");
        const policy = { ...(await rewardPolicy(nodeRegistry)), epochLength: 86_400n };
        await expect(
          factory.deploy(
            await identityRegistry.getAddress(),
            foldToken,
            deployer.address,
            maxGap,
            offlineAfter,
            policy,
          ),
        )
          .to.be.revertedWithCustomError(factory, "NodeRegistryInvalidTiming")
          .withArgs(maxGap, offlineAfter);
      });
    }
  });

  for (const [parameter, change, value] of [
    ["epochLength", { epochLength: 299n }, 299n],
    ["epochLength", { epochLength: 30n * 86_400n + 1n }, 30n * 86_400n + 1n],
    ["decayBps", { decayBps: 10_000n }, 10_000n],
    ["decayEvery", { decayEvery: 0n }, 0n],
    ["initialEmission", { initialEmission: 2n ** 112n }, 2n ** 112n],
    ["decayEvery", { decayEvery: 3_651n }, 3_651n],
    ["baselineUnits", { baselineUnits: 16_385n }, 16_385n],
    ...(["cpu", "memoryGiB", "ssdGiB", "hddGiB", "gpu"] as const).map(
      (w) =>
        [
          `weights.${w}`,
          { weights: { cpu: 1_024n, memoryGiB: 256n, ssdGiB: 10n, hddGiB: 2n, gpu: 8_192n, [w]: 65_537n } },
          65_537n,
        ] as const,
    ),
  ] as const) {
    it(`refuses a reward policy with ${parameter} = ${value}`, async () => {
      const { identityRegistry, foldToken, nodeRegistry, deployer } = await networkHelpers.loadFixture(deployFourfold);
      const factory = await ethers.getContractFactory("NodeRegistry");
      const policy = { ...(await rewardPolicy(nodeRegistry)), ...change };
      await expect(factory.deploy(await identityRegistry.getAddress(), foldToken, deployer.address, 300n, 300n, policy))
        .to.be.revertedWithCustomError(factory, "RewardsInvalidPolicy")
        .withArgs(parameter, value);
    });
  }

  describe("farms", () => {
    it("creates a farm owned by the caller's identity", async () => {
      const { nodes, reg, alice, payout } = await networkHelpers.loadFixture(withFarm);
      await reg.connect(alice).register("alice-two", "");
      await expect(nodes.connect(alice).createFarm(3n, "Second farm", payout.address))
        .to.emit(nodes, "FarmCreated")
        .withArgs(2n, 3n, "Second farm", payout.address);
      expect(await nodes.farm(2n)).to.deep.equal([3n, 0n, payout.address]);
      expect(await nodes.farmOwner(2n)).to.equal(alice.address);
      expect(await nodes.farmCount()).to.equal(2n);
    });

    it("refuses an identity the caller does not own, a bad name and a zero payout", async () => {
      const { nodes, reg, alice, bob, payout } = await networkHelpers.loadFixture(withFarm);
      await expect(nodes.connect(bob).createFarm(1n, "Mine", payout.address))
        .to.be.revertedWithCustomError(nodes, "FarmNotIdentityOwner")
        .withArgs(1n, bob.address);
      await expect(nodes.connect(bob).createFarm(9n, "Mine", payout.address))
        .to.be.revertedWithCustomError(reg, "ERC721NonexistentToken")
        .withArgs(9n);
      await expect(nodes.connect(alice).createFarm(1n, "", payout.address)).to.be.revertedWithCustomError(
        nodes,
        "FarmInvalidName",
      );
      await expect(nodes.connect(alice).createFarm(1n, "x".repeat(65), payout.address)).to.be.revertedWithCustomError(
        nodes,
        "FarmInvalidName",
      );
      await expect(
        nodes.connect(alice).createFarm(1n, "x".repeat(64), ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(nodes, "FarmZeroPayout");
      expect(await nodes.farmCount()).to.equal(1n);
    });

    it("lets the farm's owner change the payout, following the identity when it is transferred", async () => {
      const { nodes, reg, alice, bob, stranger } = await networkHelpers.loadFixture(withFarm);
      await expect(nodes.connect(alice).setFarmPayout(1n, stranger.address))
        .to.emit(nodes, "FarmPayoutSet")
        .withArgs(1n, stranger.address);
      expect((await nodes.farm(1n)).payout).to.equal(stranger.address);

      await reg.connect(alice).transferFrom(alice.address, bob.address, 1n);
      expect(await nodes.farmOwner(1n)).to.equal(bob.address);
      await expect(nodes.connect(alice).setFarmPayout(1n, alice.address))
        .to.be.revertedWithCustomError(nodes, "FarmNotOwner")
        .withArgs(1n, alice.address);
      await nodes.connect(bob).setFarmPayout(1n, bob.address);
      expect((await nodes.farm(1n)).payout).to.equal(bob.address);
    });

    it("refuses payout changes to zero and on unknown farms", async () => {
      const { nodes, alice } = await networkHelpers.loadFixture(withFarm);
      await expect(nodes.connect(alice).setFarmPayout(1n, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        nodes,
        "FarmZeroPayout",
      );
      await expect(nodes.connect(alice).setFarmPayout(2n, alice.address))
        .to.be.revertedWithCustomError(nodes, "FarmUnknown")
        .withArgs(2n);
      await expect(nodes.farm(2n)).to.be.revertedWithCustomError(nodes, "FarmUnknown").withArgs(2n);
      await expect(nodes.farmOwner(0n)).to.be.revertedWithCustomError(nodes, "FarmUnknown").withArgs(0n);
    });
  });

  describe("registerNode", () => {
    it("registers a node with its key, resources, location and prices", async () => {
      const { nodes, reg, alice, nodeKey } = await networkHelpers.loadFixture(withFarm);
      await bindNodeKey(reg, alice, 1n, nodeKey);
      const tx = nodes.connect(alice).registerNode(1n, nodeKey.address, RESOURCES, LOCATION, PRICES);
      await expect(tx)
        .to.emit(nodes, "NodeRegistered")
        .withArgs(1n, 1n, nodeKey.address, RESOURCES_TUPLE, LOCATION.country, LOCATION.region);
      await expect(tx).to.emit(nodes, "NodePricesSet").withArgs(1n, PRICES_TUPLE);
      expect(await nodes.node(1n)).to.deep.equal([
        1n,
        1n,
        BigInt(NodeStatus.Active),
        0n,
        0n,
        0n,
        nodeKey.address,
        LOCATION.country,
      ]);
      expect(await nodes.capacity(1n)).to.deep.equal([RESOURCES_TUPLE, [0n, 0n, 0n, 0n, 0n]]);
      expect(await nodes.prices(1n)).to.deep.equal(PRICES_TUPLE);
      expect(await nodes.nodeOfKey(nodeKey.address)).to.equal(1n);
      expect((await nodes.farm(1n)).nodeCount).to.equal(1n);
      expect(await nodes.nodeCount()).to.equal(1n);
      expect(await nodes.isOnline(1n)).to.equal(false); // until its first heartbeat
    });

    it("refuses unknown farms and callers who do not own the farm", async () => {
      const { nodes, reg, alice, bob, nodeKey } = await networkHelpers.loadFixture(withFarm);
      await bindNodeKey(reg, alice, 1n, nodeKey);
      await expect(nodes.connect(alice).registerNode(2n, nodeKey.address, RESOURCES, LOCATION, PRICES))
        .to.be.revertedWithCustomError(nodes, "FarmUnknown")
        .withArgs(2n);
      await expect(nodes.connect(bob).registerNode(1n, nodeKey.address, RESOURCES, LOCATION, PRICES))
        .to.be.revertedWithCustomError(nodes, "FarmNotOwner")
        .withArgs(1n, bob.address);
    });

    it("refuses a zero key, a key in use, and a key that is not an active Node key of the farm's identity", async () => {
      const { nodes, reg, alice, bob, nodeKey, otherKey } = await networkHelpers.loadFixture(withNode);
      await expect(
        nodes.connect(alice).registerNode(1n, ethers.ZeroAddress, RESOURCES, LOCATION, PRICES),
      ).to.be.revertedWithCustomError(nodes, "NodeZeroKey");
      await expect(nodes.connect(alice).registerNode(1n, nodeKey.address, RESOURCES, LOCATION, PRICES))
        .to.be.revertedWithCustomError(nodes, "NodeKeyInUse")
        .withArgs(nodeKey.address, 1n);
      // Not bound at all; bound as a Worker key; bound to another identity.
      await expect(nodes.connect(alice).registerNode(1n, otherKey.address, RESOURCES, LOCATION, PRICES))
        .to.be.revertedWithCustomError(nodes, "NodeKeyNotBound")
        .withArgs(otherKey.address, 1n);
      await bindNodeKey(reg, alice, 1n, otherKey, Purpose.Worker);
      await expect(nodes.connect(alice).registerNode(1n, otherKey.address, RESOURCES, LOCATION, PRICES))
        .to.be.revertedWithCustomError(nodes, "NodeKeyNotBound")
        .withArgs(otherKey.address, 1n);
      await reg.connect(alice).unbindKey(otherKey.address);
      await bindNodeKey(reg, bob, 2n, otherKey);
      await expect(nodes.connect(alice).registerNode(1n, otherKey.address, RESOURCES, LOCATION, PRICES))
        .to.be.revertedWithCustomError(nodes, "NodeKeyNotBound")
        .withArgs(otherKey.address, 1n);
    });

    it("refuses nodes without CPU or memory, bad country codes and long regions", async () => {
      const { nodes, reg, alice, nodeKey } = await networkHelpers.loadFixture(withFarm);
      await bindNodeKey(reg, alice, 1n, nodeKey);
      const register = (resources: typeof RESOURCES, location: typeof LOCATION) =>
        nodes.connect(alice).registerNode(1n, nodeKey.address, resources, location, PRICES);
      await expect(register({ ...RESOURCES, cpu: 0 }, LOCATION)).to.be.revertedWithCustomError(
        nodes,
        "NodeInvalidResources",
      );
      await expect(register({ ...RESOURCES, memoryMiB: 0 }, LOCATION)).to.be.revertedWithCustomError(
        nodes,
        "NodeInvalidResources",
      );
      for (const country of ["0x6265", "0x4231", "0x0000", "0x5b41"]) {
        await expect(register(RESOURCES, { ...LOCATION, country }))
          .to.be.revertedWithCustomError(nodes, "NodeInvalidCountry")
          .withArgs(country);
      }
      await expect(register(RESOURCES, { ...LOCATION, region: "r".repeat(65) })).to.be.revertedWithCustomError(
        nodes,
        "NodeInvalidRegion",
      );
      await register(RESOURCES, { country: "0x5a41", region: "r".repeat(64) }); // ZA, 64 bytes
      expect(await nodes.nodeCount()).to.equal(1n);
    });
  });

  describe("managing nodes", () => {
    it("updates prices for the farm's owner", async () => {
      const { nodes, alice } = await networkHelpers.loadFixture(withNode);
      const next = { ...PRICES, cpu: PRICES.cpu * 2n };
      await expect(nodes.connect(alice).updatePrices(1n, next))
        .to.emit(nodes, "NodePricesSet")
        .withArgs(1n, [next.cpu, ...PRICES_TUPLE.slice(1)]);
      expect((await nodes.prices(1n)).cpu).to.equal(next.cpu);
    });

    it("puts a node on standby and back", async () => {
      const { nodes, alice } = await networkHelpers.loadFixture(withNode);
      await expect(nodes.connect(alice).setStandby(1n, true))
        .to.emit(nodes, "NodeStatusChanged")
        .withArgs(1n, NodeStatus.Standby);
      expect((await nodes.node(1n)).status).to.equal(BigInt(NodeStatus.Standby));
      await expect(nodes.connect(alice).setStandby(1n, true))
        .to.be.revertedWithCustomError(nodes, "NodeStatusUnchanged")
        .withArgs(1n, NodeStatus.Standby);
      await expect(nodes.connect(alice).setStandby(1n, false))
        .to.emit(nodes, "NodeStatusChanged")
        .withArgs(1n, NodeStatus.Active);
      await expect(nodes.connect(alice).setStandby(1n, false))
        .to.be.revertedWithCustomError(nodes, "NodeStatusUnchanged")
        .withArgs(1n, NodeStatus.Active);
    });

    it("decommissions a node for good and frees its key for a new node", async () => {
      const { nodes, alice, nodeKey } = await networkHelpers.loadFixture(withOnlineNode);
      await expect(nodes.connect(alice).decommission(1n))
        .to.emit(nodes, "NodeStatusChanged")
        .withArgs(1n, NodeStatus.Decommissioned);
      expect((await nodes.node(1n)).status).to.equal(BigInt(NodeStatus.Decommissioned));
      expect(await nodes.nodeOfKey(nodeKey.address)).to.equal(0n);
      expect(await nodes.isOnline(1n)).to.equal(false);
      await expect(nodes.connect(nodeKey).heartbeat(1n))
        .to.be.revertedWithCustomError(nodes, "NodeDecommissioned")
        .withArgs(1n);
      for (const call of [
        () => nodes.connect(alice).decommission(1n),
        () => nodes.connect(alice).setStandby(1n, true),
        () => nodes.connect(alice).updatePrices(1n, PRICES),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(nodes, "NodeDecommissioned").withArgs(1n);
      }
      await nodes.connect(alice).registerNode(1n, nodeKey.address, RESOURCES, LOCATION, PRICES);
      expect(await nodes.nodeOfKey(nodeKey.address)).to.equal(2n);
    });

    it("refuses to decommission a node that holds leases", async () => {
      const { nodes, alice, market } = await networkHelpers.loadFixture(withOnlineNode);
      await nodes.connect(market).reserve(1n, { ...NONE, cpu: 1, memoryMiB: 1024 });
      await expect(nodes.connect(alice).decommission(1n))
        .to.be.revertedWithCustomError(nodes, "NodeHasActiveLeases")
        .withArgs(1n, 1n);
    });

    it("refuses management by anyone but the farm's owner, and of unknown nodes", async () => {
      const { nodes, alice, bob } = await networkHelpers.loadFixture(withNode);
      for (const call of [
        () => nodes.connect(bob).updatePrices(1n, PRICES),
        () => nodes.connect(bob).setStandby(1n, true),
        () => nodes.connect(bob).decommission(1n),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(nodes, "FarmNotOwner").withArgs(1n, bob.address);
      }
      for (const call of [
        () => nodes.connect(alice).updatePrices(2n, PRICES),
        () => nodes.connect(alice).setStandby(2n, true),
        () => nodes.connect(alice).decommission(2n),
        () => nodes.node(2n),
        () => nodes.capacity(2n),
        () => nodes.prices(2n),
        () => nodes.accruedOnlineSeconds(2n),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(nodes, "NodeUnknown").withArgs(2n);
      }
    });
  });

  describe("heartbeat", () => {
    it("credits nothing for the first heartbeat, then the time since the last one, up to maxGap", async () => {
      const { nodes, nodeKey } = await networkHelpers.loadFixture(withNode);
      await expect(nodes.connect(nodeKey).heartbeat(1n)).to.emit(nodes, "Heartbeat");
      const first = BigInt(await time.latest());
      expect((await nodes.node(1n)).lastHeartbeat).to.equal(first);
      expect((await nodes.node(1n)).onlineSeconds).to.equal(0n);
      expect(await nodes.isOnline(1n)).to.equal(true);

      await time.setNextBlockTimestamp(first + 100n);
      await expect(nodes.connect(nodeKey).heartbeat(1n))
        .to.emit(nodes, "Heartbeat")
        .withArgs(1n, first + 100n, 100n);

      // Silent for an hour: the next heartbeat credits one gap, not the hour.
      await time.setNextBlockTimestamp(first + 100n + 3600n);
      await expect(nodes.connect(nodeKey).heartbeat(1n))
        .to.emit(nodes, "Heartbeat")
        .withArgs(1n, first + 3700n, 100n + MAX_GAP);
      expect((await nodes.node(1n)).onlineSeconds).to.equal(100n + MAX_GAP);
    });

    it("counts a node online until offlineAfter has passed since its last heartbeat", async () => {
      const { nodes, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      await time.increaseTo(firstBeat + OFFLINE_AFTER);
      expect(await nodes.isOnline(1n)).to.equal(true);
      await time.increaseTo(firstBeat + OFFLINE_AFTER + 1n);
      expect(await nodes.isOnline(1n)).to.equal(false);
      expect(await nodes.isOnline(9n)).to.equal(false);
    });

    it("reports accrued seconds: credited plus what the next heartbeat would credit now", async () => {
      const { nodes, nodeKey, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      await time.increaseTo(firstBeat + 50n);
      expect(await nodes.accruedOnlineSeconds(1n)).to.equal(50n);
      await time.increaseTo(firstBeat + 10_000n);
      expect(await nodes.accruedOnlineSeconds(1n)).to.equal(MAX_GAP);
      await time.setNextBlockTimestamp(firstBeat + 10_010n);
      await nodes.connect(nodeKey).heartbeat(1n);
      expect(await nodes.accruedOnlineSeconds(1n)).to.equal(MAX_GAP);
    });

    it("accrues nothing before the first heartbeat", async () => {
      const { nodes } = await networkHelpers.loadFixture(withNode);
      await time.increase(1000);
      expect(await nodes.accruedOnlineSeconds(1n)).to.equal(0n);
    });

    it("refuses anyone but the node's key, and unknown nodes", async () => {
      const { nodes, alice, otherKey } = await networkHelpers.loadFixture(withNode);
      for (const caller of [alice, otherKey]) {
        await expect(nodes.connect(caller).heartbeat(1n))
          .to.be.revertedWithCustomError(nodes, "NodeNotKey")
          .withArgs(1n, caller.address);
      }
      await expect(nodes.connect(alice).heartbeat(2n)).to.be.revertedWithCustomError(nodes, "NodeUnknown").withArgs(2n);
    });

    it("refuses the key once it is unbound, or once the farm's identity changes hands", async () => {
      const { nodes, reg, alice, bob, nodeKey } = await networkHelpers.loadFixture(withOnlineNode);
      await reg.connect(nodeKey).unbindKey(nodeKey.address);
      await expect(nodes.connect(nodeKey).heartbeat(1n))
        .to.be.revertedWithCustomError(nodes, "NodeKeyInactive")
        .withArgs(1n, nodeKey.address);
      await bindNodeKey(reg, alice, 1n, nodeKey);
      await nodes.connect(nodeKey).heartbeat(1n);

      await reg.connect(alice).transferFrom(alice.address, bob.address, 1n);
      await expect(nodes.connect(nodeKey).heartbeat(1n))
        .to.be.revertedWithCustomError(nodes, "NodeKeyInactive")
        .withArgs(1n, nodeKey.address);
      // The new owner binds the key again (the machine is theirs now) and the node goes on.
      await bindNodeKey(reg, bob, 1n, nodeKey);
      await expect(nodes.connect(nodeKey).heartbeat(1n)).to.emit(nodes, "Heartbeat");
    });
  });

  describe("heartbeatBySig", () => {
    it("accepts the key's signed heartbeat from any relayer and credits up to its timestamp", async () => {
      const { nodes, nodeKey, stranger, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const signedAt = firstBeat + 120n;
      const sig = await signHeartbeat(nodes, nodeKey, 1n, signedAt);
      await time.setNextBlockTimestamp(signedAt + 30n);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, signedAt, sig))
        .to.emit(nodes, "Heartbeat")
        .withArgs(1n, signedAt, 120n);
      expect((await nodes.node(1n)).lastHeartbeat).to.equal(signedAt);
    });

    it("accepts a contract key's ERC-1271 signature", async () => {
      const { nodes, reg, alice, bob, otherKey, stranger } = await networkHelpers.loadFixture(withFarm);
      const wallet = await (await ethers.getContractFactory("ERC1271WalletMock")).deploy(otherKey.address);
      const walletAddress = await wallet.getAddress();
      const bindSig = await signBindKey(reg, otherKey, {
        identityId: 1n,
        key: walletAddress,
        purpose: Purpose.Node,
        nonce: 0,
        deadline: FAR,
      });
      await reg.connect(alice).bindKey(1n, walletAddress, Purpose.Node, FAR, bindSig);
      await nodes.connect(alice).registerNode(1n, walletAddress, RESOURCES, LOCATION, PRICES);

      const now = BigInt(await time.latest());
      await expect(nodes.connect(stranger).heartbeatBySig(1n, now, await signHeartbeat(nodes, otherKey, 1n, now)))
        .to.emit(nodes, "Heartbeat")
        .withArgs(1n, now, 0n);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, now + 1n, await signHeartbeat(nodes, bob, 1n, now + 1n)))
        .to.be.revertedWithCustomError(nodes, "HeartbeatInvalidSignature")
        .withArgs(1n);
    });

    it("works once per signature: a replay, or an older one, is not newer", async () => {
      const { nodes, nodeKey, stranger, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const older = await signHeartbeat(nodes, nodeKey, 1n, firstBeat + 10n);
      const sig = await signHeartbeat(nodes, nodeKey, 1n, firstBeat + 20n);
      await time.setNextBlockTimestamp(firstBeat + 25n);
      await nodes.connect(stranger).heartbeatBySig(1n, firstBeat + 20n, sig);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, firstBeat + 20n, sig))
        .to.be.revertedWithCustomError(nodes, "HeartbeatNotNewer")
        .withArgs(1n, firstBeat + 20n, firstBeat + 20n);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, firstBeat + 10n, older))
        .to.be.revertedWithCustomError(nodes, "HeartbeatNotNewer")
        .withArgs(1n, firstBeat + 10n, firstBeat + 20n);
    });

    it("refuses timestamps from the future or older than offlineAfter", async () => {
      const { nodes, nodeKey, stranger, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const future = firstBeat + 1000n;
      await time.setNextBlockTimestamp(firstBeat + 999n);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, future, await signHeartbeat(nodes, nodeKey, 1n, future)))
        .to.be.revertedWithCustomError(nodes, "HeartbeatFromTheFuture")
        .withArgs(future, firstBeat + 999n);
      const stale = firstBeat + 1n;
      const at = stale + OFFLINE_AFTER + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, stale, await signHeartbeat(nodes, nodeKey, 1n, stale)))
        .to.be.revertedWithCustomError(nodes, "HeartbeatTooOld")
        .withArgs(stale, at);
    });

    it("refuses another key's signature, one for another node or chain, and an inactive key", async () => {
      const { nodes, reg, nodeKey, otherKey, stranger, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const at = firstBeat + 5n;
      await time.increaseTo(at);
      for (const sig of [
        await signHeartbeat(nodes, otherKey, 1n, at),
        await signHeartbeat(nodes, nodeKey, 2n, at),
        await nodeKey.signTypedData(
          { name: "Fourfold NodeRegistry", version: "1", chainId: 1n, verifyingContract: await nodes.getAddress() },
          HEARTBEAT_TYPES,
          { nodeId: 1n, timestamp: at },
        ),
      ]) {
        await expect(nodes.connect(stranger).heartbeatBySig(1n, at, sig))
          .to.be.revertedWithCustomError(nodes, "HeartbeatInvalidSignature")
          .withArgs(1n);
      }
      await reg.connect(nodeKey).unbindKey(nodeKey.address);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, at, await signHeartbeat(nodes, nodeKey, 1n, at)))
        .to.be.revertedWithCustomError(nodes, "NodeKeyInactive")
        .withArgs(1n, nodeKey.address);
    });

    it("refuses unknown and decommissioned nodes", async () => {
      const { nodes, alice, nodeKey, stranger, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const sig = await signHeartbeat(nodes, nodeKey, 1n, firstBeat + 1n);
      await expect(nodes.connect(stranger).heartbeatBySig(7n, firstBeat + 1n, sig))
        .to.be.revertedWithCustomError(nodes, "NodeUnknown")
        .withArgs(7n);
      await nodes.connect(alice).decommission(1n);
      await expect(nodes.connect(stranger).heartbeatBySig(1n, firstBeat + 1n, sig))
        .to.be.revertedWithCustomError(nodes, "NodeDecommissioned")
        .withArgs(1n);
    });
  });

  describe("heartbeatBatch", () => {
    it("accepts the valid entries and skips each invalid one with its reason, never reverting", async () => {
      const base = await networkHelpers.loadFixture(withOnlineNode);
      const { nodes, reg, alice, nodeKey, otherKey, stranger, firstBeat } = base;
      // Node 2 (otherKey), online too; node 3 with a third key that is then unbound; node 4 decommissioned.
      await bindNodeKey(reg, alice, 1n, otherKey);
      await nodes.connect(alice).registerNode(1n, otherKey.address, RESOURCES, LOCATION, PRICES);
      const third = ethers.Wallet.createRandom();
      await bindNodeKey(reg, alice, 1n, third);
      await nodes.connect(alice).registerNode(1n, third.address, RESOURCES, LOCATION, PRICES);
      await reg.connect(alice).unbindKey(third.address);
      const fourth = ethers.Wallet.createRandom();
      await bindNodeKey(reg, alice, 1n, fourth);
      await nodes.connect(alice).registerNode(1n, fourth.address, RESOURCES, LOCATION, PRICES);
      await nodes.connect(alice).decommission(4n);

      const now = firstBeat + 100n;
      const entries = [
        await signedHeartbeat(nodes, nodeKey, 1n, now - 10n), // valid
        await signedHeartbeat(nodes, nodeKey, 1n, now - 10n), // the same again: not newer
        await signedHeartbeat(nodes, otherKey, 2n, now), // valid (node 2's first)
        await signedHeartbeat(nodes, nodeKey, 9n, now), // unknown node
        await signedHeartbeat(nodes, fourth, 4n, now), // decommissioned
        await signedHeartbeat(nodes, otherKey, 2n, now + 5n), // from the future
        await signedHeartbeat(nodes, nodeKey, 1n, now - OFFLINE_AFTER - 1n), // too old
        await signedHeartbeat(nodes, otherKey, 1n, now), // another key's signature
        await signedHeartbeat(nodes, third, 3n, now), // inactive key
      ];
      entries[7] = { ...entries[7], timestamp: now - 5n } as (typeof entries)[number]; // signature no longer matches
      await time.setNextBlockTimestamp(now);
      const tx = nodes.connect(stranger).heartbeatBatch(entries);
      await expect(tx)
        .to.emit(nodes, "Heartbeat")
        .withArgs(1n, now - 10n, 90n);
      await expect(tx).to.emit(nodes, "Heartbeat").withArgs(2n, now, 0n);
      for (const [nodeId, reason] of [
        [1n, SkipReason.NotNewer],
        [9n, SkipReason.UnknownNode],
        [4n, SkipReason.Decommissioned],
        [2n, SkipReason.FromTheFuture],
        [1n, SkipReason.TooOld],
        [1n, SkipReason.BadSignature],
        [3n, SkipReason.InactiveKey],
      ]) {
        await expect(tx).to.emit(nodes, "HeartbeatSkipped").withArgs(nodeId, reason);
      }
      const receipt = await (await tx).wait();
      const parsed = receipt?.logs.map((log) => nodes.interface.parseLog(log)?.name);
      expect(parsed?.filter((name) => name === "Heartbeat")).to.have.length(2);
      expect(parsed?.filter((name) => name === "HeartbeatSkipped")).to.have.length(7);
      expect((await nodes.node(1n)).onlineSeconds).to.equal(90n);
      expect((await nodes.node(2n)).lastHeartbeat).to.equal(now);
    });

    it("returns how many it accepted, and accepts an empty batch", async () => {
      const { nodes, nodeKey, stranger, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const entry = await signedHeartbeat(nodes, nodeKey, 1n, firstBeat + 1n);
      await time.increaseTo(firstBeat + 2n);
      expect(await nodes.connect(stranger).heartbeatBatch.staticCall([entry, entry])).to.equal(1n);
      expect(await nodes.connect(stranger).heartbeatBatch.staticCall([])).to.equal(0n);
    });
  });

  describe("bond", () => {
    /** node 1 with alice holding 10 FOLD approved to the registry. */
    async function withFundedOwner() {
      const base = await withNode();
      await base.foldToken.connect(base.deployer).transfer(base.alice.address, 10n * ONE);
      await base.foldToken.connect(base.alice).approve(await base.nodes.getAddress(), 10n * ONE);
      return base;
    }

    it("holds the farm's bond in FOLD and refunds it whole to the owner on decommission", async () => {
      const { nodes, foldToken, alice } = await networkHelpers.loadFixture(withFundedOwner);
      expect(await nodes.bondToken()).to.equal(await foldToken.getAddress());
      expect(await nodes.bondOf(1n)).to.equal(0n);
      const first = nodes.connect(alice).bond(1n, 3n * ONE);
      await expect(first)
        .to.emit(nodes, "NodeBonded")
        .withArgs(1n, 3n * ONE, 3n * ONE);
      await expect(first).to.changeTokenBalances(ethers, foldToken, [alice, nodes], [-3n * ONE, 3n * ONE]);
      await expect(nodes.connect(alice).bond(1n, 2n * ONE))
        .to.emit(nodes, "NodeBonded")
        .withArgs(1n, 2n * ONE, 5n * ONE);
      expect(await nodes.bondOf(1n)).to.equal(5n * ONE);
      const retire = nodes.connect(alice).decommission(1n);
      await expect(retire)
        .to.emit(nodes, "NodeBondRefunded")
        .withArgs(1n, alice.address, 5n * ONE);
      await expect(retire).to.changeTokenBalances(ethers, foldToken, [alice, nodes], [5n * ONE, -5n * ONE]);
      expect(await nodes.bondOf(1n)).to.equal(0n);
    });

    it("decommissions an unbonded node without a refund event", async () => {
      const { nodes, alice } = await networkHelpers.loadFixture(withFundedOwner);
      await expect(nodes.connect(alice).decommission(1n)).not.to.emit(nodes, "NodeBondRefunded");
    });

    it("refuses a zero bond, anyone but the farm's owner, unknown and decommissioned nodes, and an unapproved amount", async () => {
      const { nodes, foldToken, alice, bob } = await networkHelpers.loadFixture(withFundedOwner);
      await expect(nodes.connect(alice).bond(1n, 0n)).to.be.revertedWithCustomError(nodes, "NodeZeroBond");
      await expect(nodes.connect(bob).bond(1n, ONE))
        .to.be.revertedWithCustomError(nodes, "FarmNotOwner")
        .withArgs(1n, bob.address);
      await expect(nodes.connect(alice).bond(2n, ONE)).to.be.revertedWithCustomError(nodes, "NodeUnknown").withArgs(2n);
      await expect(nodes.bondOf(2n)).to.be.revertedWithCustomError(nodes, "NodeUnknown").withArgs(2n);
      await expect(nodes.connect(alice).bond(1n, 11n * ONE))
        .to.be.revertedWithCustomError(foldToken, "ERC20InsufficientAllowance")
        .withArgs(await nodes.getAddress(), 10n * ONE, 11n * ONE);
      await nodes.connect(alice).decommission(1n);
      await expect(nodes.connect(alice).bond(1n, ONE))
        .to.be.revertedWithCustomError(nodes, "NodeDecommissioned")
        .withArgs(1n);
    });
  });

  describe("billing", () => {
    it("answers a node's proven seconds, last heartbeat, payout and farm identity in one call", async () => {
      const { nodes, nodeKey, alice, stranger, payout, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      expect(await nodes.billing(1n)).to.deep.equal([0n, firstBeat, payout.address, 1n]);
      await time.setNextBlockTimestamp(firstBeat + 120n);
      await nodes.connect(nodeKey).heartbeat(1n);
      await nodes.connect(alice).setFarmPayout(1n, stranger.address);
      expect(await nodes.billing(1n)).to.deep.equal([120n, firstBeat + 120n, stranger.address, 1n]);
      await expect(nodes.billing(2n)).to.be.revertedWithCustomError(nodes, "NodeUnknown").withArgs(2n);
    });
  });

  describe("capacity", () => {
    it("reserves and releases capacity for markets, counting active leases", async () => {
      const { nodes, market } = await networkHelpers.loadFixture(withOnlineNode);
      const lease = { cpu: 2, memoryMiB: 4096, ssdGiB: 100, hddGiB: 0, gpus: 1 };
      expect(await nodes.connect(market).reserve.staticCall(1n, lease)).to.deep.equal(PRICES_TUPLE);
      await expect(nodes.connect(market).reserve(1n, lease))
        .to.emit(nodes, "CapacityReserved")
        .withArgs(1n, market.address, [2n, 4096n, 100n, 0n, 1n]);
      expect((await nodes.capacity(1n)).reserved).to.deep.equal([2n, 4096n, 100n, 0n, 1n]);
      expect((await nodes.node(1n)).activeLeases).to.equal(1n);
      await nodes.connect(market).reserve(1n, { ...lease, gpus: 0 });
      expect((await nodes.capacity(1n)).reserved).to.deep.equal([4n, 8192n, 200n, 0n, 1n]);
      expect((await nodes.node(1n)).activeLeases).to.equal(2n);

      await expect(nodes.connect(market).release(1n, lease))
        .to.emit(nodes, "CapacityReleased")
        .withArgs(1n, market.address, [2n, 4096n, 100n, 0n, 1n]);
      expect((await nodes.capacity(1n)).reserved).to.deep.equal([2n, 4096n, 100n, 0n, 0n]);
      expect((await nodes.node(1n)).activeLeases).to.equal(1n);
    });

    it("never reserves beyond the node's resources, in any dimension", async () => {
      const { nodes, market } = await networkHelpers.loadFixture(withOnlineNode);
      await nodes.connect(market).reserve(1n, RESOURCES); // the whole node
      for (const extra of [
        { ...NONE, cpu: 1 },
        { ...NONE, memoryMiB: 1 },
        { ...NONE, ssdGiB: 1 },
        { ...NONE, hddGiB: 1 },
        { ...NONE, gpus: 1 },
      ]) {
        await expect(nodes.connect(market).reserve(1n, extra))
          .to.be.revertedWithCustomError(nodes, "NodeInsufficientCapacity")
          .withArgs(1n);
      }
      expect((await nodes.capacity(1n)).reserved).to.deep.equal(RESOURCES_TUPLE);
    });

    it("reserves only on active, online nodes", async () => {
      const { nodes, alice, market, firstBeat } = await networkHelpers.loadFixture(withOnlineNode);
      const lease = { ...NONE, cpu: 1, memoryMiB: 512 };
      await expect(nodes.connect(market).reserve(5n, lease))
        .to.be.revertedWithCustomError(nodes, "NodeUnknown")
        .withArgs(5n);
      await nodes.connect(alice).setStandby(1n, true);
      await expect(nodes.connect(market).reserve(1n, lease))
        .to.be.revertedWithCustomError(nodes, "NodeNotAvailable")
        .withArgs(1n, NodeStatus.Standby);
      await nodes.connect(alice).setStandby(1n, false);
      await time.setNextBlockTimestamp(firstBeat + OFFLINE_AFTER + 1n);
      await expect(nodes.connect(market).reserve(1n, lease))
        .to.be.revertedWithCustomError(nodes, "NodeOffline")
        .withArgs(1n, firstBeat);
      await nodes.connect(alice).decommission(1n);
      await expect(nodes.connect(market).reserve(1n, lease))
        .to.be.revertedWithCustomError(nodes, "NodeNotAvailable")
        .withArgs(1n, NodeStatus.Decommissioned);
    });

    it("refuses a node that never sent a heartbeat", async () => {
      const { nodes, market } = await networkHelpers.loadFixture(withNode);
      await expect(nodes.connect(market).reserve(1n, { ...NONE, cpu: 1 }))
        .to.be.revertedWithCustomError(nodes, "NodeOffline")
        .withArgs(1n, 0n);
    });

    it("refuses releases beyond what was reserved, on unknown nodes, and callers without the market role", async () => {
      const { nodes, market, stranger } = await networkHelpers.loadFixture(withOnlineNode);
      const lease = { ...NONE, cpu: 1, memoryMiB: 512 };
      await expect(nodes.connect(market).release(1n, lease))
        .to.be.revertedWithCustomError(nodes, "NodeReleaseExceedsReservation")
        .withArgs(1n);
      await nodes.connect(market).reserve(1n, lease);
      for (const more of [
        { ...lease, cpu: 2 },
        { ...lease, memoryMiB: 513 },
        { ...lease, ssdGiB: 1 },
        { ...lease, hddGiB: 1 },
        { ...lease, gpus: 1 },
      ]) {
        await expect(nodes.connect(market).release(1n, more))
          .to.be.revertedWithCustomError(nodes, "NodeReleaseExceedsReservation")
          .withArgs(1n);
      }
      await expect(nodes.connect(market).release(3n, lease))
        .to.be.revertedWithCustomError(nodes, "NodeUnknown")
        .withArgs(3n);
      const role = await nodes.MARKET_ROLE();
      for (const call of [
        () => nodes.connect(stranger).reserve(1n, lease),
        () => nodes.connect(stranger).release(1n, lease),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(nodes, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, role);
      }
    });
  });
});
