// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";

/// @dev Moves FOLD between a fixed set of holders with transfers, approvals, transferFroms and mints, and counts
/// every unit minted in a ghost total.
contract FoldTokenHandler is Test {
    uint256 public constant HOLDERS = 4;

    FoldToken public immutable token;
    address public immutable minter;
    address[HOLDERS] public holders;
    uint256 public ghostMinted;

    constructor(FoldToken token_, address minter_, uint256 genesis) {
        token = token_;
        minter = minter_;
        ghostMinted = genesis;
        string[HOLDERS] memory names = ["treasury", "farmer", "tenant", "worker"];
        for (uint256 i; i < HOLDERS; ++i) holders[i] = makeAddr(names[i]);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = holders[fromSeed % HOLDERS];
        amount = bound(amount, 0, token.balanceOf(from));
        vm.prank(from);
        token.transfer(holders[toSeed % HOLDERS], amount);
    }

    function approveAndTransferFrom(uint256 ownerSeed, uint256 spenderSeed, uint256 toSeed, uint256 amount) external {
        address owner = holders[ownerSeed % HOLDERS];
        address spender = holders[spenderSeed % HOLDERS];
        amount = bound(amount, 0, token.balanceOf(owner));
        vm.prank(owner);
        token.approve(spender, amount);
        vm.prank(spender);
        token.transferFrom(owner, holders[toSeed % HOLDERS], amount);
        assertEq(token.allowance(owner, spender), 0);
    }

    function mint(uint256 toSeed, uint256 amount) external {
        amount = bound(amount, 0, token.cap() - token.totalSupply());
        vm.prank(minter);
        token.mint(holders[toSeed % HOLDERS], amount);
        ghostMinted += amount;
    }

    function sumOfBalances() external view returns (uint256 sum) {
        for (uint256 i; i < HOLDERS; ++i) sum += token.balanceOf(holders[i]);
    }
}

contract FoldTokenTest is Test {
    uint256 private constant GENESIS = 100_000_000 ether;

    FoldToken private token;
    FoldTokenHandler private handler;
    address private minter = makeAddr("rewards");

    function setUp() public {
        token = new FoldToken(makeAddr("treasury"), GENESIS);
        token.setMinter(minter);
        handler = new FoldTokenHandler(token, minter, GENESIS);
        targetContract(address(handler));
    }

    /// @notice A transfer moves exactly the amount and never changes the supply; more than the balance reverts.
    function testFuzz_transfer_conservesSupply(uint256 amount, uint256 toSeed) public {
        address from = handler.holders(0);
        address to = handler.holders(1 + (toSeed % 3));
        uint256 supply = token.totalSupply();
        uint256 fromBefore = token.balanceOf(from);
        uint256 toBefore = token.balanceOf(to);
        vm.prank(from);
        if (amount > fromBefore) {
            vm.expectRevert(
                abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, from, fromBefore, amount)
            );
            token.transfer(to, amount);
            assertEq(token.balanceOf(from), fromBefore);
        } else {
            token.transfer(to, amount);
            assertEq(token.balanceOf(from), fromBefore - amount);
            assertEq(token.balanceOf(to), toBefore + amount);
        }
        assertEq(token.totalSupply(), supply);
    }

    /// @notice Minting past the cap reverts with ERC20ExceededCap and mints nothing.
    function testFuzz_mint_neverExceedsCap(uint256 amount) public {
        uint256 room = token.cap() - token.totalSupply();
        amount = bound(amount, room + 1, type(uint256).max - GENESIS);
        bytes memory expected = abi.encodeWithSelector(
            ERC20Capped.ERC20ExceededCap.selector,
            GENESIS + amount,
            token.MAX_SUPPLY()
        );
        address to = handler.holders(1);
        vm.expectRevert(expected);
        vm.prank(minter);
        token.mint(to, amount);
        assertEq(token.totalSupply(), GENESIS);
    }

    /// @notice Every unit in existence is held by someone, and was minted at genesis or by the minter.
    function invariant_supplyEqualsBalancesAndMints() public view {
        assertEq(token.totalSupply(), handler.sumOfBalances(), "supply != balances");
        assertEq(token.totalSupply(), handler.ghostMinted(), "supply != minted");
    }

    function invariant_supplyWithinCap() public view {
        assertLe(token.totalSupply(), token.MAX_SUPPLY());
    }
}
