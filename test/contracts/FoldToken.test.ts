import { expect } from "chai";
import { deployFourfold, ethers, networkHelpers } from "./fixture.ts";
import { PERMIT_TYPES } from "./helpers.ts";

const ONE = 10n ** 18n;
const GENESIS = 100_000_000n * ONE; // deploy/parameters/hardhat.json
const CAP = 1_000_000_000n * ONE;

async function deployed() {
  return networkHelpers.loadFixture(deployFourfold);
}

/** A FoldToken of its own, with the genesis at the deployer and no minter yet (the module sets FarmingRewards). */
async function standaloneToken() {
  const signers = await ethers.getSigners();
  const foldToken = await (await ethers.getContractFactory("FoldToken")).deploy(signers[0].address, GENESIS);
  return { foldToken, deployer: signers[0], signers };
}

describe("FoldToken", () => {
  describe("deployment", () => {
    it("has its name, symbol, decimals, constant cap, and the genesis allocation at the deployer", async () => {
      const { foldToken, deployer } = await deployed();
      expect(await foldToken.name()).to.equal("Fourfold");
      expect(await foldToken.symbol()).to.equal("FOLD");
      expect(await foldToken.decimals()).to.equal(18n);
      expect(await foldToken.cap()).to.equal(CAP);
      expect(await foldToken.MAX_SUPPLY()).to.equal(CAP);
      expect(await foldToken.totalSupply()).to.equal(GENESIS);
      expect(await foldToken.balanceOf(deployer.address)).to.equal(GENESIS);
      expect(await foldToken.deployer()).to.equal(deployer.address);
    });

    it("has FarmingRewards as its minter, set by the deployment", async () => {
      const { foldToken, farmingRewards } = await deployed();
      expect(await foldToken.minter()).to.equal(await farmingRewards.getAddress());
    });

    it("refuses a genesis allocation above the cap", async () => {
      const { foldToken, deployer } = await deployed();
      const factory = await ethers.getContractFactory("FoldToken");
      await expect(factory.deploy(deployer.address, CAP + 1n))
        .to.be.revertedWithCustomError(foldToken, "FoldTokenGenesisExceedsCap")
        .withArgs(CAP + 1n, CAP);
    });

    it("mints nothing for a zero genesis allocation", async () => {
      const factory = await ethers.getContractFactory("FoldToken");
      const [deployer] = await ethers.getSigners();
      const token = await factory.deploy(deployer.address, 0n);
      expect(await token.totalSupply()).to.equal(0n);
    });
  });

  describe("transfers", () => {
    it("moves balances and emits Transfer", async () => {
      const { foldToken, deployer, signers } = await deployed();
      const to = signers[5];
      const tx = foldToken.transfer(to.address, 7n * ONE);
      await expect(tx)
        .to.emit(foldToken, "Transfer")
        .withArgs(deployer.address, to.address, 7n * ONE);
      await expect(tx).to.changeTokenBalances(ethers, foldToken, [deployer, to], [-7n * ONE, 7n * ONE]);
    });

    it("refuses to send more than the balance", async () => {
      const { foldToken, signers } = await deployed();
      const [, poor, other] = signers;
      await expect(foldToken.connect(poor).transfer(other.address, 1n))
        .to.be.revertedWithCustomError(foldToken, "ERC20InsufficientBalance")
        .withArgs(poor.address, 0n, 1n);
    });

    it("spends an allowance with transferFrom and refuses beyond it", async () => {
      const { foldToken, deployer, signers } = await deployed();
      const [, spender, to] = signers;
      await expect(foldToken.approve(spender.address, 3n))
        .to.emit(foldToken, "Approval")
        .withArgs(deployer.address, spender.address, 3n);
      await expect(foldToken.connect(spender).transferFrom(deployer.address, to.address, 2n)).to.changeTokenBalances(
        ethers,
        foldToken,
        [deployer, to],
        [-2n, 2n],
      );
      expect(await foldToken.allowance(deployer.address, spender.address)).to.equal(1n);
      await expect(foldToken.connect(spender).transferFrom(deployer.address, to.address, 2n))
        .to.be.revertedWithCustomError(foldToken, "ERC20InsufficientAllowance")
        .withArgs(spender.address, 1n, 2n);
    });
  });

  describe("permit (ERC-2612)", () => {
    async function signPermit(value: bigint, deadline: bigint, nonce: bigint) {
      const { foldToken, deployer, signers } = await deployed();
      const spender = signers[3];
      const domain = {
        name: "Fourfold",
        version: "1",
        chainId: (await ethers.provider.getNetwork()).chainId,
        verifyingContract: await foldToken.getAddress(),
      };
      const types = PERMIT_TYPES;
      const message = { owner: deployer.address, spender: spender.address, value, nonce, deadline };
      const sig = ethers.Signature.from(await deployer.signTypedData(domain, types, message));
      return { foldToken, deployer, spender, sig };
    }

    it("sets the allowance from a signature, once", async () => {
      const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
      const { foldToken, deployer, spender, sig } = await signPermit(9n, deadline, 0n);
      await expect(foldToken.permit(deployer.address, spender.address, 9n, deadline, sig.v, sig.r, sig.s))
        .to.emit(foldToken, "Approval")
        .withArgs(deployer.address, spender.address, 9n);
      expect(await foldToken.allowance(deployer.address, spender.address)).to.equal(9n);
      expect(await foldToken.nonces(deployer.address)).to.equal(1n);
      await expect(
        foldToken.permit(deployer.address, spender.address, 9n, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(foldToken, "ERC2612InvalidSigner");
    });

    it("refuses an expired permit", async () => {
      const deadline = BigInt(await networkHelpers.time.latest()) - 1n;
      const { foldToken, deployer, spender, sig } = await signPermit(9n, deadline, 0n);
      await expect(foldToken.permit(deployer.address, spender.address, 9n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(foldToken, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });
  });

  describe("minting", () => {
    it("lets the deployer set the minter once, and only the minter mint", async () => {
      const { foldToken, signers } = await networkHelpers.loadFixture(standaloneToken);
      const [, minter, holder] = signers;
      await expect(foldToken.setMinter(minter.address)).to.emit(foldToken, "MinterSet").withArgs(minter.address);
      expect(await foldToken.minter()).to.equal(minter.address);
      await expect(foldToken.connect(minter).mint(holder.address, 5n * ONE))
        .to.emit(foldToken, "Transfer")
        .withArgs(ethers.ZeroAddress, holder.address, 5n * ONE);
      expect(await foldToken.balanceOf(holder.address)).to.equal(5n * ONE);
      expect(await foldToken.totalSupply()).to.equal(GENESIS + 5n * ONE);
    });

    it("refuses minting by anyone but the minter, including before it is set", async () => {
      const { foldToken, deployer, signers } = await networkHelpers.loadFixture(standaloneToken);
      expect(await foldToken.minter()).to.equal(ethers.ZeroAddress);
      await expect(foldToken.mint(deployer.address, 1n))
        .to.be.revertedWithCustomError(foldToken, "FoldTokenNotMinter")
        .withArgs(deployer.address);
      await foldToken.setMinter(signers[1].address);
      await expect(foldToken.connect(signers[2]).mint(signers[2].address, 1n))
        .to.be.revertedWithCustomError(foldToken, "FoldTokenNotMinter")
        .withArgs(signers[2].address);
    });

    it("refuses a second minter, a zero minter, and a minter set by anyone but the deployer", async () => {
      const { foldToken, signers } = await networkHelpers.loadFixture(standaloneToken);
      const [, minter, other] = signers;
      await expect(foldToken.setMinter(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        foldToken,
        "FoldTokenZeroMinter",
      );
      await expect(foldToken.connect(other).setMinter(other.address))
        .to.be.revertedWithCustomError(foldToken, "FoldTokenNotDeployer")
        .withArgs(other.address);
      await foldToken.setMinter(minter.address);
      await expect(foldToken.setMinter(other.address))
        .to.be.revertedWithCustomError(foldToken, "FoldTokenMinterAlreadySet")
        .withArgs(minter.address);
    });

    it("never mints past the cap", async () => {
      const { foldToken, signers } = await networkHelpers.loadFixture(standaloneToken);
      const [, minter, holder] = signers;
      await foldToken.setMinter(minter.address);
      await foldToken.connect(minter).mint(holder.address, CAP - GENESIS);
      expect(await foldToken.totalSupply()).to.equal(CAP);
      await expect(foldToken.connect(minter).mint(holder.address, 1n))
        .to.be.revertedWithCustomError(foldToken, "ERC20ExceededCap")
        .withArgs(CAP + 1n, CAP);
    });
  });
});
