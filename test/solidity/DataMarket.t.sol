// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Test} from "forge-std/Test.sol";
import {DataMarket} from "../../contracts/DataMarket.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {ReputationRegistry} from "../../contracts/ReputationRegistry.sol";
import {IDataMarket} from "../../contracts/interfaces/IDataMarket.sol";

/// @dev Drives three datasets (one approved by hand with a three-way split, one auto-approved, one free and
/// auto-approved) through random requests, approvals, rejections, withdrawals, key deliveries, cancellations, uses,
/// settlements, revocations, withdrawals of earnings and time jumps, and keeps ghosts of what was deposited and
/// withdrawn. The adversary: the owner requests access to its own datasets (self-dealing), free uses try to collect
/// receipts, and the admin tries to take the market role to record uses of any grant (moving its escrow to the
/// owner); every grant can be ended, with its refund, at any time all the same.
contract DataMarketHandler is Test {
    uint256 public constant WINDOW = 600;

    DataMarket public immutable market;
    FoldToken public immutable token;
    address public immutable owner = makeAddr("owner");
    address public immutable grantee = makeAddr("grantee");
    address public immutable payeeA = makeAddr("payee A");
    address public immutable payeeB = makeAddr("payee B");
    uint256 public immutable ownerId;
    uint256 public immutable granteeId;
    uint256[] public grants;
    /// @dev grant => whether the owner requested it for itself.
    mapping(uint256 => bool) public selfDealt;
    uint256 public ownerWithdrawn;
    uint256 public deposits;
    uint256 public withdrawn;

    constructor(DataMarket market_, FoldToken token_, IdentityRegistry identities) {
        market = market_;
        token = token_;
        vm.startPrank(owner);
        ownerId = identities.register("owner", "");
        identities.setEncryptionKey(ownerId, keccak256("owner x25519"));
        token.approve(address(market), type(uint256).max);
        vm.stopPrank();
        vm.startPrank(grantee);
        granteeId = identities.register("grantee", "");
        identities.setEncryptionKey(granteeId, keccak256("x25519"));
        token.approve(address(market), type(uint256).max);
        vm.stopPrank();
        IDataMarket.Terms memory terms = IDataMarket.Terms({
            pricePerDay: 1 ether,
            pricePerUse: 0.01 ether + 7,
            maxDuration: 2 days,
            purposes: 0x0e,
            autoApprove: false,
            licenceHash: bytes32(0)
        });
        IDataMarket.Payee[] memory split = new IDataMarket.Payee[](2);
        split[0] = IDataMarket.Payee(payeeA, 3_333);
        split[1] = IDataMarket.Payee(payeeB, 1_234);
        vm.startPrank(owner);
        market.registerDataset(ownerId, "one", keccak256("one"), "ipfs://one", terms, split);
        terms.autoApprove = true;
        terms.pricePerDay = 0.3 ether + 1;
        market.registerDataset(ownerId, "two", keccak256("two"), "ipfs://two", terms, new IDataMarket.Payee[](0));
        terms.pricePerDay = 0;
        terms.pricePerUse = 0;
        market.registerDataset(ownerId, "free", keccak256("free"), "ipfs://free", terms, new IDataMarket.Payee[](0));
        vm.stopPrank();
    }

    /// @dev The grantee, or (`own`) the owner for itself, requests access.
    function request(uint256 datasetSeed, uint256 purposeSeed, uint256 duration, uint256 uses, bool own) external {
        uint256 datasetId = 1 + (datasetSeed % 3);
        IDataMarket.Purpose purpose = IDataMarket.Purpose(1 + (purposeSeed % 3));
        duration = bound(duration, 1, 2 days);
        uses = bound(uses, 1, 5);
        (address who, uint256 id) = own ? (owner, ownerId) : (grantee, granteeId);
        // An auto-approved request while an active grant holds the same access is refused; skip it.
        if (datasetId != 1 && market.hasAccess(datasetId, id, purpose)) return;
        uint256 price = market.quote(datasetId, duration, uses);
        if (token.balanceOf(who) < price) return;
        vm.prank(who);
        uint256 grantId = market.requestAccess(datasetId, id, purpose, duration, uses, price);
        grants.push(grantId);
        selfDealt[grantId] = own;
        deposits += price;
    }

    function approve(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Requested) return;
        if (market.hasAccess(g.datasetId, g.granteeId, g.purpose)) return;
        vm.prank(owner);
        market.approve(id);
    }

    function reject(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Requested) return;
        vm.prank(owner);
        market.reject(id, "no");
    }

    function withdrawRequest(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Requested) return;
        if (block.timestamp < g.requestedAt + WINDOW) return;
        vm.prank(g.requester);
        market.withdrawRequest(id);
    }

    function deliver(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Active || g.keyDelivered) return;
        if (block.timestamp >= g.expiresAt) return;
        vm.prank(owner);
        market.deliverKey(id, hex"0badc0de");
    }

    function cancel(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Active || g.keyDelivered) return;
        if (block.timestamp < g.expiresAt - g.duration + WINDOW) return;
        vm.prank(g.requester);
        market.cancel(id);
    }

    function use(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Active || !g.keyDelivered) return;
        if (block.timestamp >= g.expiresAt || g.usesLeft == 0) return;
        vm.prank(g.requester);
        market.recordUse(id, g.purpose, keccak256(abi.encode(id, g.usesLeft)));
    }

    function settle(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Active) return;
        market.settle(id);
    }

    function revoke(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Active || block.timestamp >= g.expiresAt) return;
        vm.prank(owner);
        market.revoke(id);
    }

    function withdraw(uint256 seed) external {
        address account = [owner, payeeA, payeeB][seed % 3];
        uint256 amount = market.earned(account);
        if (amount == 0) return;
        vm.prank(account);
        market.withdraw();
        withdrawn += amount;
        if (account == owner) ownerWithdrawn += amount;
    }

    /// @dev The admin (this handler) tries to take the market role, to record uses of any delivered grant: refused.
    function adminAttacks(uint256 seed) external {
        bytes32 role = market.MARKET_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                address(this),
                market.SEALED_ROLE()
            )
        );
        market.grantRole(role, address(this));
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0 || g.state != IDataMarket.GrantState.Active || !g.keyDelivered) return;
        if (block.timestamp >= g.expiresAt || g.usesLeft == 0) return;
        vm.expectRevert(abi.encodeWithSelector(IDataMarket.DataNotGrantee.selector, id, address(this)));
        market.recordUse(id, g.purpose, bytes32("stolen"));
    }

    /// @dev Whatever happened before, any open grant can be ended with its refund: a request withdrawn after the
    /// response window, an undelivered grant cancelled after the delivery window, a delivered one revoked by its
    /// owner, or settled by anyone once expired.
    function endAny(uint256 seed) external {
        (uint256 id, IDataMarket.Grant memory g) = _pick(seed);
        if (id == 0) return;
        if (g.state == IDataMarket.GrantState.Requested) {
            if (block.timestamp < g.requestedAt + WINDOW) vm.warp(g.requestedAt + WINDOW);
            vm.prank(g.requester);
            market.withdrawRequest(id);
        } else if (g.state == IDataMarket.GrantState.Active && !g.keyDelivered) {
            uint256 deliverBy = g.expiresAt - g.duration + WINDOW;
            if (block.timestamp < deliverBy) vm.warp(deliverBy);
            vm.prank(g.requester);
            market.cancel(id);
        } else if (g.state == IDataMarket.GrantState.Active) {
            if (block.timestamp < g.expiresAt) {
                vm.prank(owner);
                market.revoke(id);
            } else {
                market.settle(id);
            }
        } else {
            return;
        }
        IDataMarket.Grant memory ended = market.grant(id);
        assertTrue(
            ended.state != IDataMarket.GrantState.Requested && ended.state != IDataMarket.GrantState.Active,
            "ended"
        );
        assertEq(escrowOf(id), 0, "nothing left in escrow");
    }

    function wait(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 1 days));
    }

    function grantCount() external view returns (uint256) {
        return grants.length;
    }

    /// @dev What the market still holds for a grant: its unpaid time share and unmade uses while it can still pay.
    function escrowOf(uint256 id) public view returns (uint256) {
        IDataMarket.Grant memory g = market.grant(id);
        if (g.state != IDataMarket.GrantState.Requested && g.state != IDataMarket.GrantState.Active) return 0;
        return g.timePrice - g.timePaid + uint256(g.usesLeft) * g.pricePerUse;
    }

    function _pick(uint256 seed) private view returns (uint256 id, IDataMarket.Grant memory g) {
        if (grants.length == 0) return (0, g);
        id = grants[seed % grants.length];
        g = market.grant(id);
    }
}

contract DataMarketTest is Test {
    DataMarket private market;
    FoldToken private token;
    DataMarketHandler private handler;
    uint256 private constant GRANTEE_FUNDS = 1_000 ether;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new FoldToken(address(this), 10_000 ether);
        IdentityRegistry identities = new IdentityRegistry();
        ReputationRegistry reputation = new ReputationRegistry(address(identities), address(this));
        market = new DataMarket(address(token), address(identities), address(reputation), address(this), 600, 600);
        reputation.grantRole(reputation.WRITER_ROLE(), address(market));
        handler = new DataMarketHandler(market, token, identities);
        assertTrue(token.transfer(handler.grantee(), GRANTEE_FUNDS));
        assertTrue(token.transfer(handler.owner(), GRANTEE_FUNDS));
        // Wired as the deployment wires it: the writer role granted and sealed; the market role sealed too (its one
        // holder, the job market, is not part of this test). The handler plays the admin.
        reputation.sealRole(reputation.WRITER_ROLE());
        market.sealRole(market.MARKET_ROLE());
        market.grantRole(market.DEFAULT_ADMIN_ROLE(), address(handler));
        targetContract(address(handler));
        _reputation = reputation;
    }

    ReputationRegistry private _reputation;

    /// @notice Free uses and self-dealing leave no receipt: only grants that paid something record one, and never
    /// between the owner and itself.
    function invariant_noFreeReceipts() public view {
        for (uint256 i; i < handler.grantCount(); ++i) {
            uint256 id = handler.grants(i);
            IDataMarket.Grant memory g = market.grant(id);
            if (g.datasetId == 3 || handler.selfDealt(id)) assertEq(g.receiptId, 0, "a free or self-dealt receipt");
        }
    }

    /// @notice The market holds exactly the escrow of its open grants plus the earnings not withdrawn.
    function invariant_balanceIsEscrowPlusEarnings() public view {
        uint256 escrow;
        for (uint256 i; i < handler.grantCount(); ++i) escrow += handler.escrowOf(handler.grants(i));
        uint256 earnings =
            market.earned(handler.owner()) + market.earned(handler.payeeA()) + market.earned(handler.payeeB());
        assertEq(token.balanceOf(address(market)), escrow + earnings, "balance");
    }

    /// @notice Every deposit is paid out (earned or withdrawn), refunded, or still in escrow.
    function invariant_depositsArePaymentsPlusRefundsPlusEscrow() public view {
        uint256 escrow;
        for (uint256 i; i < handler.grantCount(); ++i) escrow += handler.escrowOf(handler.grants(i));
        uint256 paid =
            market.earned(handler.owner()) +
                market.earned(handler.payeeA()) +
                market.earned(handler.payeeB()) +
                handler.withdrawn();
        // Both requesters (the grantee, and the owner for itself) were funded; the owner's balance also holds what it
        // withdrew as earnings.
        uint256 balances = token.balanceOf(handler.grantee()) + token.balanceOf(handler.owner());
        uint256 refunds = balances + handler.deposits() - 2 * GRANTEE_FUNDS - handler.ownerWithdrawn();
        assertEq(handler.deposits(), paid + refunds + escrow, "deposits");
    }

    /// @notice hasAccess is true exactly when a grant to that dataset and purpose is active, unexpired, unrevoked
    /// and has uses left.
    function invariant_hasAccessIsExactlyALiveGrant() public view {
        uint256 granteeId = handler.granteeId();
        for (uint256 datasetId = 1; datasetId <= 3; ++datasetId) {
            for (uint8 p = 1; p <= 3; ++p) {
                IDataMarket.Purpose purpose = IDataMarket.Purpose(p);
                bool live;
                for (uint256 i; i < handler.grantCount(); ++i) {
                    IDataMarket.Grant memory g = market.grant(handler.grants(i));
                    if (g.datasetId != datasetId || g.purpose != purpose || g.granteeId != granteeId) continue;
                    live =
                        live ||
                        (g.state == IDataMarket.GrantState.Active && block.timestamp < g.expiresAt && g.usesLeft != 0);
                }
                assertEq(market.hasAccess(datasetId, granteeId, purpose), live, "hasAccess");
            }
        }
    }

    /// @notice A revoke refunds exactly the time not run and the uses not made, whenever it comes.
    function testFuzz_revoke_refundsTheUnusedShare(uint256 duration, uint256 after_, uint8 uses, uint8 used) public {
        duration = bound(duration, 60, 2 days);
        uses = uint8(bound(uses, 1, 5));
        used = uint8(bound(used, 0, uses - 1));
        address grantee = handler.grantee();
        uint256 granteeId = handler.granteeId();
        uint256 price = market.quote(1, duration, uses);
        vm.prank(grantee);
        uint256 id = market.requestAccess(1, granteeId, IDataMarket.Purpose.Training, duration, uses, price);
        vm.startPrank(handler.owner());
        market.approve(id);
        market.deliverKey(id, hex"01");
        vm.stopPrank();
        uint256 start = block.timestamp;
        for (uint256 i; i < used; ++i) {
            vm.prank(grantee);
            market.recordUse(id, IDataMarket.Purpose.Training, bytes32(i));
        }
        after_ = bound(after_, 0, duration - 1);
        vm.warp(start + after_);
        IDataMarket.Grant memory g = market.grant(id);
        uint256 ranShare = (uint256(g.timePrice) * after_) / duration;
        uint256 expected = g.timePrice - ranShare + uint256(uses - used) * g.pricePerUse;
        uint256 before = token.balanceOf(grantee);
        vm.prank(handler.owner());
        market.revoke(id);
        assertEq(token.balanceOf(grantee) - before, expected, "refund");
        assertFalse(market.hasAccess(1, granteeId, IDataMarket.Purpose.Training));
    }
}
