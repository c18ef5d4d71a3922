import { expect } from "chai";
import { deployFourfold, networkHelpers } from "./fixture.ts";

describe("smoke", () => {
  it("deploys", async () => {
    const { foldToken, deployer } = await networkHelpers.loadFixture(deployFourfold);
    expect(await foldToken.balanceOf(deployer.address)).to.equal(10n ** 26n);
  });
});
