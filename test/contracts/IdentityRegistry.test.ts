import { expect } from "chai";
import type { Signer } from "ethers";
import { deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { bindKey, bytes32, Kind, Purpose, signBindKey, URI_66 } from "./helpers.ts";

const FAR = 2n ** 40n;

async function withIdentities() {
  const base = await deployFourfold();
  const [, alice, bob, carol, dave, eve] = base.signers;
  const reg = base.identityRegistry;
  await reg.connect(alice).register("alice", URI_66);
  await reg.connect(bob).register("bob", "");
  return { ...base, reg, alice, bob, carol, dave, eve, aliceId: 1n, bobId: 2n };
}

async function withAgent() {
  const base = await withIdentities();
  const { reg, alice, aliceId } = base;
  await reg.connect(alice).registerAgent(aliceId, "alice-bot", URI_66);
  const agentId = 3n;
  const agentKey = ethers.Wallet.createRandom().connect(ethers.provider);
  await base.deployer.sendTransaction({ to: agentKey.address, value: 10n ** 18n });
  const sig = await signBindKey(reg, agentKey, {
    identityId: agentId,
    purpose: Purpose.Agent,
    nonce: 0,
    deadline: FAR,
  });
  await reg.connect(alice).bindKey(agentId, agentKey.address, Purpose.Agent, FAR, sig);
  return { ...base, agentId, agentKey };
}

describe("IdentityRegistry", () => {
  describe("register", () => {
    it("mints an identity to the caller with its handle and metadata URI", async () => {
      const { identityRegistry: reg, signers } = await networkHelpers.loadFixture(deployFourfold);
      const alice = signers[1];
      const tx = reg.connect(alice).register("alice", URI_66);
      await expect(tx).to.emit(reg, "Transfer").withArgs(ethers.ZeroAddress, alice.address, 1n);
      await expect(tx)
        .to.emit(reg, "IdentityRegistered")
        .withArgs(1n, alice.address, 0n, Kind.Standard, "alice", URI_66);
      expect(await reg.ownerOf(1n)).to.equal(alice.address);
      expect(await reg.balanceOf(alice.address)).to.equal(1n);
      expect(await reg.idOfHandle("alice")).to.equal(1n);
      expect(await reg.tokenURI(1n)).to.equal(URI_66);
      expect(await reg.identityCount()).to.equal(1n);
      const identity = await reg.identityOf(1n);
      expect(identity.kind).to.equal(Kind.Standard);
      expect(identity.controllerId).to.equal(0n);
      expect(identity.paused).to.equal(false);
      expect(identity.actionCount).to.equal(0n);
    });

    it("numbers identities from 1 and accepts an empty URI and a 32-character handle", async () => {
      const { reg, carol } = await networkHelpers.loadFixture(withIdentities);
      const handle = `${"a".repeat(16)}-0123456789-zzzz`;
      expect(handle.length).to.equal(32);
      await expect(reg.connect(carol).register(handle, ""))
        .to.emit(reg, "IdentityRegistered")
        .withArgs(3n, carol.address, 0n, Kind.Standard, handle, "");
      expect(await reg.idOfHandle(handle)).to.equal(3n);
      expect(await reg.tokenURI(2n)).to.equal("");
    });

    for (const bad of ["", "ab", "a".repeat(33), "Alice", "-alice", "alice-", "al_ice", "al ice", "alicé", "a.b"]) {
      it(`refuses the handle ${JSON.stringify(bad)}`, async () => {
        const { reg, carol } = await networkHelpers.loadFixture(withIdentities);
        await expect(reg.connect(carol).register(bad, URI_66))
          .to.be.revertedWithCustomError(reg, "IdentityInvalidHandle")
          .withArgs(bad);
        expect(await reg.identityCount()).to.equal(2n);
      });
    }

    it("refuses a handle that is taken", async () => {
      const { reg, carol } = await networkHelpers.loadFixture(withIdentities);
      await expect(reg.connect(carol).register("alice", ""))
        .to.be.revertedWithCustomError(reg, "IdentityHandleTaken")
        .withArgs("alice", 1n);
    });
  });

  describe("registerAgent", () => {
    it("creates an agent identity controlled by the caller's identity", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      await expect(reg.connect(alice).registerAgent(aliceId, "alice-bot", URI_66))
        .to.emit(reg, "IdentityRegistered")
        .withArgs(3n, alice.address, aliceId, Kind.Agent, "alice-bot", URI_66);
      const agent = await reg.identityOf(3n);
      expect(agent.kind).to.equal(Kind.Agent);
      expect(agent.controllerId).to.equal(aliceId);
      expect(agent.paused).to.equal(false);
      expect(await reg.ownerOf(3n)).to.equal(alice.address);
    });

    it("refuses an unknown controller or an agent as controller", async () => {
      const { reg, alice, agentId } = await networkHelpers.loadFixture(withAgent);
      await expect(reg.connect(alice).registerAgent(99n, "bot-2", ""))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidController")
        .withArgs(99n);
      await expect(reg.connect(alice).registerAgent(agentId, "bot-2", ""))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidController")
        .withArgs(agentId);
    });

    it("refuses a controller the caller does not own, and bad or taken handles", async () => {
      const { reg, alice, bob, aliceId } = await networkHelpers.loadFixture(withIdentities);
      await expect(reg.connect(bob).registerAgent(aliceId, "bot-2", ""))
        .to.be.revertedWithCustomError(reg, "IdentityNotOwner")
        .withArgs(aliceId, bob.address);
      await expect(reg.connect(alice).registerAgent(aliceId, "Bot", ""))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidHandle")
        .withArgs("Bot");
      await expect(reg.connect(alice).registerAgent(aliceId, "bob", ""))
        .to.be.revertedWithCustomError(reg, "IdentityHandleTaken")
        .withArgs("bob", 2n);
    });
  });

  describe("setMetadataURI and setEncryptionKey", () => {
    it("lets the owner change the metadata URI", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      await expect(reg.connect(alice).setMetadataURI(aliceId, "https://example.org/alice.json"))
        .to.emit(reg, "MetadataURISet")
        .withArgs(aliceId, "https://example.org/alice.json");
      expect(await reg.tokenURI(aliceId)).to.equal("https://example.org/alice.json");
    });

    it("lets the owner set the X25519 encryption key", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.keccak256("0x1234");
      await expect(reg.connect(alice).setEncryptionKey(aliceId, key))
        .to.emit(reg, "EncryptionKeySet")
        .withArgs(aliceId, key);
      expect(await reg.encryptionKeyOf(aliceId)).to.equal(key);
      expect((await reg.identityOf(aliceId)).encryptionKey).to.equal(key);
    });

    it("refuses anyone but the owner, and unknown identities", async () => {
      const { reg, bob, aliceId } = await networkHelpers.loadFixture(withIdentities);
      await expect(reg.connect(bob).setMetadataURI(aliceId, "x"))
        .to.be.revertedWithCustomError(reg, "IdentityNotOwner")
        .withArgs(aliceId, bob.address);
      await expect(reg.connect(bob).setEncryptionKey(aliceId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(reg, "IdentityNotOwner")
        .withArgs(aliceId, bob.address);
      await expect(reg.connect(bob).setMetadataURI(42n, "x"))
        .to.be.revertedWithCustomError(reg, "ERC721NonexistentToken")
        .withArgs(42n);
      await expect(reg.connect(bob).setEncryptionKey(42n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(reg, "ERC721NonexistentToken")
        .withArgs(42n);
      expect(await reg.tokenURI(aliceId)).to.equal(URI_66);
    });
  });

  describe("bindKey", () => {
    it("binds a key that signed BindKey, with its purpose", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      await expect(bindKey(reg, alice, aliceId, key, Purpose.Node))
        .to.emit(reg, "KeyBound")
        .withArgs(aliceId, key.address, Purpose.Node);
      expect(await reg.keyInfo(key.address)).to.deep.equal([aliceId, BigInt(Purpose.Node), true]);
      expect(await reg.isActiveKey(key.address, aliceId, Purpose.Node)).to.equal(true);
      expect(await reg.isActiveKey(key.address, aliceId, Purpose.Worker)).to.equal(false);
      expect(await reg.isActiveKey(key.address, 2n, Purpose.Node)).to.equal(false);
      expect(await reg.keyNonce(key.address)).to.equal(1n);
    });

    it("binds a contract key that signs through ERC-1271", async () => {
      const { reg, alice, carol, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const wallet = await (await ethers.getContractFactory("ERC1271WalletMock")).deploy(carol.address);
      const walletAddress = await wallet.getAddress();
      const message = { identityId: aliceId, key: walletAddress, purpose: Purpose.Operator, nonce: 0, deadline: FAR };
      const sig = await signBindKey(reg, carol, message);
      await expect(reg.connect(alice).bindKey(aliceId, walletAddress, Purpose.Operator, FAR, sig))
        .to.emit(reg, "KeyBound")
        .withArgs(aliceId, walletAddress, Purpose.Operator);
      const forged = await signBindKey(reg, alice, message);
      await reg.connect(alice).unbindKey(walletAddress);
      await expect(reg.connect(alice).bindKey(aliceId, walletAddress, Purpose.Operator, FAR, forged))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidSignature")
        .withArgs(walletAddress);
    });

    it("lets an agent hold keys of other purposes, but no standard identity an Agent key", async () => {
      const { reg, alice, agentId, aliceId } = await networkHelpers.loadFixture(withAgent);
      const worker = ethers.Wallet.createRandom();
      await expect(bindKey(reg, alice, agentId, worker, Purpose.Worker))
        .to.emit(reg, "KeyBound")
        .withArgs(agentId, worker.address, Purpose.Worker);
      await expect(bindKey(reg, alice, aliceId, ethers.Wallet.createRandom(), Purpose.Agent))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidPurpose")
        .withArgs(aliceId, Purpose.Agent);
      await expect(bindKey(reg, alice, aliceId, ethers.Wallet.createRandom(), Purpose.None))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidPurpose")
        .withArgs(aliceId, Purpose.None);
    });

    it("refuses a caller who does not own the identity, and an unknown identity", async () => {
      const { reg, bob, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      await expect(bindKey(reg, bob, aliceId, key, Purpose.Node))
        .to.be.revertedWithCustomError(reg, "IdentityNotOwner")
        .withArgs(aliceId, bob.address);
      await expect(bindKey(reg, bob, 77n, key, Purpose.Node))
        .to.be.revertedWithCustomError(reg, "ERC721NonexistentToken")
        .withArgs(77n);
    });

    it("refuses the zero key", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      await expect(
        reg.connect(alice).bindKey(aliceId, ethers.ZeroAddress, Purpose.Node, FAR, "0x"),
      ).to.be.revertedWithCustomError(reg, "IdentityZeroKey");
    });

    it("refuses a signature past its deadline", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      const deadline = BigInt(await networkHelpers.time.latest()) + 10n;
      const sig = await signBindKey(reg, key, { identityId: aliceId, purpose: Purpose.Node, nonce: 0, deadline });
      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await expect(reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, deadline, sig))
        .to.be.revertedWithCustomError(reg, "IdentitySignatureExpired")
        .withArgs(deadline, deadline + 1n);
    });

    it("refuses a signature by another key, for another purpose, or for another identity", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      const other = ethers.Wallet.createRandom();
      const byOther = await signBindKey(reg, other, {
        identityId: aliceId,
        purpose: Purpose.Node,
        nonce: 0,
        deadline: FAR,
      });
      await expect(reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, FAR, byOther))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidSignature")
        .withArgs(key.address);
      const forWorker = await signBindKey(reg, key, {
        identityId: aliceId,
        purpose: Purpose.Worker,
        nonce: 0,
        deadline: FAR,
      });
      await expect(reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, FAR, forWorker))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidSignature")
        .withArgs(key.address);
      const forBob = await signBindKey(reg, key, { identityId: 2n, purpose: Purpose.Node, nonce: 0, deadline: FAR });
      await expect(reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, FAR, forBob))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidSignature")
        .withArgs(key.address);
      await expect(reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, FAR, "0x1234"))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidSignature")
        .withArgs(key.address);
    });

    it("refuses a key that is already bound, to this identity or another", async () => {
      const { reg, alice, bob, aliceId, bobId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      await bindKey(reg, alice, aliceId, key, Purpose.Node);
      await expect(bindKey(reg, bob, bobId, key, Purpose.Node))
        .to.be.revertedWithCustomError(reg, "IdentityKeyAlreadyBound")
        .withArgs(key.address, aliceId);
      await expect(bindKey(reg, alice, aliceId, key, Purpose.Worker))
        .to.be.revertedWithCustomError(reg, "IdentityKeyAlreadyBound")
        .withArgs(key.address, aliceId);
    });

    it("never accepts the same signature twice, even after the key is unbound", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      const sig = await signBindKey(reg, key, { identityId: aliceId, purpose: Purpose.Node, nonce: 0, deadline: FAR });
      await reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, FAR, sig);
      await reg.connect(alice).unbindKey(key.address);
      await expect(reg.connect(alice).bindKey(aliceId, key.address, Purpose.Node, FAR, sig))
        .to.be.revertedWithCustomError(reg, "IdentityInvalidSignature")
        .withArgs(key.address);
      await expect(bindKey(reg, alice, aliceId, key, Purpose.Node)).to.emit(reg, "KeyBound");
      expect(await reg.keyNonce(key.address)).to.equal(2n);
    });
  });

  describe("unbindKey", () => {
    it("lets the identity's owner unbind a key, keeping its nonce", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      await bindKey(reg, alice, aliceId, key, Purpose.Worker);
      await expect(reg.connect(alice).unbindKey(key.address)).to.emit(reg, "KeyUnbound").withArgs(aliceId, key.address);
      expect(await reg.keyInfo(key.address)).to.deep.equal([0n, BigInt(Purpose.None), false]);
      expect(await reg.isActiveKey(key.address, aliceId, Purpose.Worker)).to.equal(false);
      expect(await reg.keyNonce(key.address)).to.equal(1n);
    });

    it("lets the key unbind itself", async () => {
      const { reg, alice, carol, aliceId } = await networkHelpers.loadFixture(withIdentities);
      await bindKey(reg, alice, aliceId, carol, Purpose.Node);
      await expect(reg.connect(carol).unbindKey(carol.address))
        .to.emit(reg, "KeyUnbound")
        .withArgs(aliceId, carol.address);
    });

    it("refuses anyone else, and keys that are not bound", async () => {
      const { reg, alice, bob, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      await expect(reg.connect(alice).unbindKey(key.address))
        .to.be.revertedWithCustomError(reg, "IdentityKeyNotBound")
        .withArgs(key.address);
      await bindKey(reg, alice, aliceId, key, Purpose.Node);
      await expect(reg.connect(bob).unbindKey(key.address))
        .to.be.revertedWithCustomError(reg, "IdentityNotOwner")
        .withArgs(aliceId, bob.address);
      expect(await reg.isActiveKey(key.address, aliceId, Purpose.Node)).to.equal(true);
    });
  });

  describe("transfers", () => {
    it("drop every bound key and the encryption key, and let the new owner bind afresh", async () => {
      const { reg, alice, bob, aliceId } = await networkHelpers.loadFixture(withIdentities);
      const key = ethers.Wallet.createRandom();
      await bindKey(reg, alice, aliceId, key, Purpose.Node);
      await reg.connect(alice).setEncryptionKey(aliceId, ethers.keccak256("0x01"));
      const tx = reg.connect(alice).transferFrom(alice.address, bob.address, aliceId);
      await expect(tx).to.emit(reg, "KeysDropped").withArgs(aliceId, 1n);
      await expect(tx).to.emit(reg, "EncryptionKeySet").withArgs(aliceId, ethers.ZeroHash);
      expect(await reg.keyInfo(key.address)).to.deep.equal([aliceId, BigInt(Purpose.Node), false]);
      expect(await reg.encryptionKeyOf(aliceId)).to.equal(ethers.ZeroHash);
      expect((await reg.identityOf(aliceId)).keyEpoch).to.equal(1n);
      await expect(reg.connect(alice).unbindKey(key.address))
        .to.be.revertedWithCustomError(reg, "IdentityKeyNotBound")
        .withArgs(key.address);
      await expect(bindKey(reg, bob, aliceId, key, Purpose.Node))
        .to.emit(reg, "KeyBound")
        .withArgs(aliceId, key.address, Purpose.Node);
      expect(await reg.isActiveKey(key.address, aliceId, Purpose.Node)).to.equal(true);
    });
  });

  describe("agents", () => {
    it("lets the controller's owner pause and unpause an agent, which deactivates its keys meanwhile", async () => {
      const { reg, alice, agentId, agentKey } = await networkHelpers.loadFixture(withAgent);
      expect(await reg.isActiveKey(agentKey.address, agentId, Purpose.Agent)).to.equal(true);
      await expect(reg.connect(alice).setAgentPaused(agentId, true))
        .to.emit(reg, "AgentPauseSet")
        .withArgs(agentId, true);
      expect((await reg.identityOf(agentId)).paused).to.equal(true);
      expect(await reg.keyInfo(agentKey.address)).to.deep.equal([agentId, BigInt(Purpose.Agent), false]);
      expect(await reg.isActiveKey(agentKey.address, agentId, Purpose.Agent)).to.equal(false);
      await expect(reg.connect(alice).setAgentPaused(agentId, false))
        .to.emit(reg, "AgentPauseSet")
        .withArgs(agentId, false);
      expect(await reg.isActiveKey(agentKey.address, agentId, Purpose.Agent)).to.equal(true);
    });

    it("follows the controller identity's current owner, not the agent's", async () => {
      const { reg, alice, bob, carol, agentId, aliceId } = await networkHelpers.loadFixture(withAgent);
      await reg.connect(alice).transferFrom(alice.address, carol.address, agentId);
      await expect(reg.connect(carol).setAgentPaused(agentId, true))
        .to.be.revertedWithCustomError(reg, "IdentityNotController")
        .withArgs(agentId, carol.address);
      await reg.connect(alice).transferFrom(alice.address, bob.address, aliceId);
      await expect(reg.connect(alice).setAgentPaused(agentId, true))
        .to.be.revertedWithCustomError(reg, "IdentityNotController")
        .withArgs(agentId, alice.address);
      await expect(reg.connect(bob).setAgentPaused(agentId, true)).to.emit(reg, "AgentPauseSet");
    });

    it("refuses to pause what is not an agent", async () => {
      const { reg, alice, aliceId } = await networkHelpers.loadFixture(withAgent);
      await expect(reg.connect(alice).setAgentPaused(aliceId, true))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgent")
        .withArgs(aliceId);
      await expect(reg.connect(alice).setAgentPaused(99n, true))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgent")
        .withArgs(99n);
    });
  });

  describe("logAction", () => {
    it("appends to the agent's hash chain, which the events alone rebuild", async () => {
      const { reg, agentId, agentKey } = await networkHelpers.loadFixture(withAgent);
      const coder = ethers.AbiCoder.defaultAbiCoder();
      let head = ethers.ZeroHash;
      for (let i = 1n; i <= 5n; i++) {
        const actionType = bytes32(i % 2n === 0n ? "inference.request" : "data.use");
        const dataHash = ethers.keccak256(ethers.toBeHex(i, 32));
        const uri = `ipfs://action-${i}`;
        const expected = ethers.keccak256(
          coder.encode(
            ["bytes32", "uint256", "bytes32", "bytes32", "bytes32"],
            [head, i, actionType, dataHash, ethers.keccak256(ethers.toUtf8Bytes(uri))],
          ),
        );
        await expect(reg.connect(agentKey).logAction(agentId, actionType, dataHash, uri))
          .to.emit(reg, "ActionLogged")
          .withArgs(agentId, i, actionType, agentKey.address, dataHash, uri, expected);
        head = expected;
      }
      expect(await reg.actionHead(agentId)).to.equal(head);
      expect((await reg.identityOf(agentId)).actionCount).to.equal(5n);

      // A verifier with only the events: replay them in order and compare with the head on-chain.
      const events = await reg.queryFilter(reg.filters.ActionLogged(agentId));
      let rebuilt = ethers.ZeroHash;
      for (const event of events) {
        const { sequence, actionType, dataHash, uri, head: logged } = event.args;
        rebuilt = ethers.keccak256(
          coder.encode(
            ["bytes32", "uint256", "bytes32", "bytes32", "bytes32"],
            [rebuilt, sequence, actionType, dataHash, ethers.keccak256(ethers.toUtf8Bytes(uri))],
          ),
        );
        expect(rebuilt).to.equal(logged);
      }
      expect(events.length).to.equal(5);
      expect(rebuilt).to.equal(await reg.actionHead(agentId));
    });

    it("refuses callers that are not an active Agent key of that agent", async () => {
      const { reg, alice, bob, agentId, agentKey, aliceId } = await networkHelpers.loadFixture(withAgent);
      const call = (signer: Signer, id: bigint) =>
        reg.connect(signer).logAction(id, ethers.ZeroHash, ethers.ZeroHash, "");
      await expect(call(alice, agentId))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgentKey")
        .withArgs(alice.address, agentId);
      // The agent's key, but for another identity.
      await expect(call(agentKey, aliceId))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgentKey")
        .withArgs(agentKey.address, aliceId);
      // A Worker key of the agent.
      await bindKey(reg, alice, agentId, bob, Purpose.Worker);
      await expect(call(bob, agentId))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgentKey")
        .withArgs(bob.address, agentId);
      // After unbinding.
      await reg.connect(alice).unbindKey(agentKey.address);
      await expect(call(agentKey, agentId))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgentKey")
        .withArgs(agentKey.address, agentId);
      expect(await reg.actionHead(agentId)).to.equal(ethers.ZeroHash);
    });

    it("refuses the agent's keys after the agent is transferred", async () => {
      const { reg, alice, carol, agentId, agentKey } = await networkHelpers.loadFixture(withAgent);
      await reg.connect(alice).transferFrom(alice.address, carol.address, agentId);
      await expect(reg.connect(agentKey).logAction(agentId, ethers.ZeroHash, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(reg, "IdentityNotAgentKey")
        .withArgs(agentKey.address, agentId);
    });

    it("refuses a paused agent from the next call on", async () => {
      const { reg, alice, agentId, agentKey } = await networkHelpers.loadFixture(withAgent);
      await reg.connect(agentKey).logAction(agentId, ethers.ZeroHash, ethers.ZeroHash, "");
      await reg.connect(alice).setAgentPaused(agentId, true);
      await expect(reg.connect(agentKey).logAction(agentId, ethers.ZeroHash, ethers.ZeroHash, ""))
        .to.be.revertedWithCustomError(reg, "IdentityAgentPaused")
        .withArgs(agentId);
      expect((await reg.identityOf(agentId)).actionCount).to.equal(1n);
    });
  });

  describe("views", () => {
    it("answer zero for unknown or invalid handles and revert for unknown identities", async () => {
      const { reg } = await networkHelpers.loadFixture(withIdentities);
      expect(await reg.idOfHandle("nobody")).to.equal(0n);
      expect(await reg.idOfHandle("ALICE")).to.equal(0n);
      expect(await reg.idOfHandle(`alice${"\u0000".repeat(3)}`)).to.equal(0n);
      expect(await reg.idOfHandle("a".repeat(40))).to.equal(0n);
      await expect(reg.identityOf(9n)).to.be.revertedWithCustomError(reg, "ERC721NonexistentToken").withArgs(9n);
      await expect(reg.tokenURI(9n)).to.be.revertedWithCustomError(reg, "ERC721NonexistentToken").withArgs(9n);
      expect(await reg.keyInfo(ethers.ZeroAddress)).to.deep.equal([0n, 0n, false]);
    });

    it("publish the EIP-712 domain and type hash that signers use", async () => {
      const { reg } = await networkHelpers.loadFixture(withIdentities);
      const domain = await reg.eip712Domain();
      expect(domain.name).to.equal("Fourfold IdentityRegistry");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(domain.verifyingContract).to.equal(await reg.getAddress());
      expect(await reg.BIND_KEY_TYPEHASH()).to.equal(
        ethers.id("BindKey(uint256 identityId,address key,uint8 purpose,uint256 nonce,uint256 deadline)"),
      );
    });

    it("support the ERC-721 and metadata interfaces", async () => {
      const { reg } = await networkHelpers.loadFixture(withIdentities);
      expect(await reg.supportsInterface("0x80ac58cd")).to.equal(true);
      expect(await reg.supportsInterface("0x5b5e139f")).to.equal(true);
      expect(await reg.name()).to.equal("Fourfold Identity");
      expect(await reg.symbol()).to.equal("FFID");
    });
  });
});
