// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {FoldToken} from "../../contracts/FoldToken.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {LeaseMarket} from "../../contracts/LeaseMarket.sol";
import {NodeRegistry} from "../../contracts/NodeRegistry.sol";
import {ReputationRegistry} from "../../contracts/ReputationRegistry.sol";
import {ILeaseMarket} from "../../contracts/interfaces/ILeaseMarket.sol";
import {INodeRegistry} from "../../contracts/interfaces/INodeRegistry.sol";
import {IReputationRegistry} from "../../contracts/interfaces/IReputationRegistry.sol";
import {NodeKeys} from "./utils/NodeKeys.sol";

/// @dev Drives three nodes of one farm (the third free: every price zero) and five tenants through random sequences
/// of open, acknowledge, reject, top-up, settle, close, expire, reclaim, heartbeats, time jumps and fee withdrawals,
/// and keeps ghosts of what was deposited and of the seconds each lease's node proved online while the lease was
/// billing. The adversary: tenants 3 and 4 are the farmer itself, under its farm's identity and under a second
/// identity of its own (self-dealing, at any price including zero and with a zero deposit), and the admin of the
/// registries tries to revoke or take the market's roles to freeze or steal escrow; every lease can be ended by its
/// tenant at any time all the same.
contract LeaseMarketHandler is NodeKeys {
    uint256 public constant NODES = 3;
    uint256 public constant TENANTS = 5;
    uint256 public constant MAX_GAP = 300;
    uint256 public constant GRACE = 600;
    uint256 public constant ACK_WINDOW = 300;
    uint256 public constant TENANT_FUNDS = 1_000_000 ether;

    struct Ghost {
        uint256 node;
        bool acknowledged;
        bool ended;
        uint256 ackTime;
        uint256 proven;
    }

    FoldToken public immutable token;
    IdentityRegistry public immutable identities;
    NodeRegistry public immutable nodes;
    LeaseMarket public immutable market;
    ReputationRegistry public immutable reputation;
    uint256 public immutable farmerId;
    address public immutable farmer;
    address public immutable payout;
    uint256[NODES] public keys;
    uint256[NODES] public lastBeat;
    address[TENANTS] public tenants;
    uint256[TENANTS] public tenantIds;
    Ghost[] internal _ghosts;
    uint256 public ghostDeposits;

    constructor(
        FoldToken token_,
        IdentityRegistry identities_,
        NodeRegistry nodes_,
        LeaseMarket market_,
        ReputationRegistry reputation_
    ) {
        token = token_;
        identities = identities_;
        nodes = nodes_;
        market = market_;
        reputation = reputation_;
        farmer = makeAddr("farmer");
        payout = makeAddr("payout");
        vm.startPrank(farmer);
        farmerId = identities.register("farmer", "");
        uint256 farmId = nodes.createFarm(farmerId, "farm", payout);
        vm.stopPrank();
        for (uint256 i; i < NODES; ++i) {
            keys[i] = _registerNode(
                identities,
                nodes,
                farmer,
                farmerId,
                farmId,
                "lease node key",
                i,
                INodeRegistry.Resources(8, 16_384, 500, 0, 1),
                // Per hour: 0.036 FOLD a core, 0.0072 a GiB of memory, 0.000036 a GiB of SSD, 0.36 a GPU; node 3 free.
                i == 2
                    ? INodeRegistry.Prices(0, 0, 0, 0, 0)
                    : INodeRegistry.Prices(0.036 ether, 0.0072 ether, 0.000036 ether, 0, 0.36 ether)
            );
            vm.prank(vm.addr(keys[i]));
            nodes.heartbeat(i + 1);
            lastBeat[i] = block.timestamp;
        }
        for (uint256 t; t < TENANTS; ++t) {
            // Tenants 3 and 4 are the farmer: its farm's identity, and a second identity of its own.
            tenants[t] = t < 3 ? makeAddr(string.concat("tenant", vm.toString(t))) : farmer;
            if (t == 3) {
                tenantIds[t] = farmerId;
            } else {
                vm.prank(tenants[t]);
                tenantIds[t] = identities.register(string(abi.encodePacked("tenant-", bytes1(uint8(97 + t)))), "");
            }
            vm.prank(tenants[t]);
            token.approve(address(market), type(uint256).max);
        }
    }

    /// @dev Called by the test once it has funded the tenants.
    function tenantCount() external pure returns (uint256) {
        return TENANTS;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------------------------------------

    function heartbeat(uint256 nodeSeed, uint256 wait) external {
        uint256 i = nodeSeed % NODES;
        vm.warp(block.timestamp + bound(wait, 0, 2 * MAX_GAP));
        vm.prank(vm.addr(keys[i]));
        nodes.heartbeat(i + 1);
        uint256 previous = lastBeat[i];
        for (uint256 g; g < _ghosts.length; ++g) {
            Ghost storage gh = _ghosts[g];
            if (gh.node != i || !gh.acknowledged || gh.ended) continue;
            uint256 from = previous > gh.ackTime ? previous : gh.ackTime;
            uint256 span = block.timestamp - from;
            gh.proven += span < MAX_GAP ? span : MAX_GAP;
        }
        lastBeat[i] = block.timestamp;
    }

    function warp(uint256 wait) external {
        vm.warp(block.timestamp + bound(wait, 1, 2 hours));
    }

    function open(
        uint256 tenantSeed,
        uint256 nodeSeed,
        uint16 cpu,
        uint32 memoryMiB,
        bool gpu,
        uint256 deposit
    ) external {
        uint256 i = nodeSeed % NODES;
        uint256 t = tenantSeed % TENANTS;
        if (!nodes.isOnline(i + 1)) return;
        INodeRegistry.Resources memory want = INodeRegistry.Resources(
            uint16(bound(cpu, 1, 4)),
            uint32(bound(memoryMiB, market.MIN_MEMORY_MIB(), 8_192)),
            0,
            0,
            gpu ? 1 : 0
        );
        (INodeRegistry.Resources memory total, INodeRegistry.Resources memory reserved) = nodes.capacity(i + 1);
        if (
            reserved.cpu + want.cpu > total.cpu ||
            reserved.memoryMiB + want.memoryMiB > total.memoryMiB ||
            reserved.gpus + want.gpus > total.gpus
        ) return;
        (, uint256 minDeposit) = market.quote(i + 1, want);
        deposit = bound(deposit, minDeposit, minDeposit * 5);
        INodeRegistry.Prices memory prices = nodes.prices(i + 1);
        vm.prank(tenants[t]);
        market.openLease(tenantIds[t], i + 1, want, deposit, prices, bytes32(0));
        ghostDeposits += deposit;
        _ghosts.push(Ghost({node: i, acknowledged: false, ended: false, ackTime: 0, proven: 0}));
    }

    function acknowledge(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pick(leaseSeed, ILeaseMarket.LeaseState.Pending);
        if (!found) return;
        Ghost storage gh = _ghosts[id - 1];
        vm.prank(vm.addr(keys[gh.node]));
        market.acknowledgeLease(id, "endpoint");
        gh.acknowledged = true;
        gh.ackTime = block.timestamp;
    }

    function reject(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pick(leaseSeed, ILeaseMarket.LeaseState.Pending);
        if (!found) return;
        vm.prank(vm.addr(keys[_ghosts[id - 1].node]));
        market.rejectLease(id, "bad manifest");
        _ghosts[id - 1].ended = true;
    }

    function topUp(uint256 leaseSeed, uint256 amount) external {
        (uint256 id, bool found) = _pickLive(leaseSeed);
        if (!found) return;
        amount = bound(amount, 1, 1 ether);
        address tenant = market.lease(id).tenant;
        vm.prank(tenant);
        market.topUp(id, amount);
        ghostDeposits += amount;
    }

    function settle(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pickRunning(leaseSeed);
        if (!found) return;
        market.settle(id);
    }

    function close(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pickLive(leaseSeed);
        if (!found) return;
        ILeaseMarket.Lease memory l = market.lease(id);
        if (l.state == ILeaseMarket.LeaseState.Pending && block.timestamp < l.openedAt + ACK_WINDOW) return;
        vm.prank(l.tenant);
        market.closeLease(id);
        _ghosts[id - 1].ended = true;
    }

    function expire(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pickRunning(leaseSeed);
        if (!found) return;
        try market.expireLease(id) {
            _ghosts[id - 1].ended = true;
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), ILeaseMarket.LeaseNotExpirable.selector);
        }
    }

    function reclaim(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pickRunning(leaseSeed);
        if (!found) return;
        vm.prank(farmer);
        try market.reclaimLease(id) {
            if (market.lease(id).state == ILeaseMarket.LeaseState.Ended) _ghosts[id - 1].ended = true;
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), ILeaseMarket.LeaseReclaimNoticePending.selector);
        }
    }

    function withdrawFees() external {
        market.withdrawFees();
    }

    /// @dev The admin (this handler holds both registries' admin role) tries to revoke the market's roles, which
    /// froze every lease's end, or to take them, which let it reserve capacity or forge receipts: both refused.
    function adminAttacks(bool onNodes, bool grant) external {
        bytes32 role = onNodes ? nodes.MARKET_ROLE() : reputation.WRITER_ROLE();
        IAccessControl target = onNodes ? IAccessControl(address(nodes)) : IAccessControl(address(reputation));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                address(this),
                nodes.SEALED_ROLE()
            )
        );
        if (grant) target.grantRole(role, address(this));
        else target.revokeRole(role, address(market));
    }

    /// @dev Whatever happened before, the tenant of any lease that has not ended can end it and get its escrow back
    /// (a pending one once the acknowledgement window has passed).
    function endAny(uint256 leaseSeed) external {
        (uint256 id, bool found) = _pickLive(leaseSeed);
        if (!found) return;
        ILeaseMarket.Lease memory l = market.lease(id);
        if (l.state == ILeaseMarket.LeaseState.Pending && block.timestamp < l.openedAt + ACK_WINDOW) {
            vm.warp(l.openedAt + ACK_WINDOW);
        }
        uint256 due = l.state == ILeaseMarket.LeaseState.Pending ? 0 : market.due(id);
        uint256 before = token.balanceOf(l.tenant);
        vm.prank(l.tenant);
        market.closeLease(id);
        _ghosts[id - 1].ended = true;
        assertEq(uint8(market.lease(id).state), uint8(ILeaseMarket.LeaseState.Ended), "ended");
        assertEq(token.balanceOf(l.tenant) - before, l.escrow - due, "the escrow left came back");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Ghost views
    // ---------------------------------------------------------------------------------------------------------------

    function leaseCount() external view returns (uint256) {
        return _ghosts.length;
    }

    function ghost(uint256 leaseId) external view returns (Ghost memory) {
        return _ghosts[leaseId - 1];
    }

    /// @dev A lease in `state`, starting from a random one.
    function _pick(uint256 seed, ILeaseMarket.LeaseState state) private view returns (uint256, bool) {
        uint256 n = _ghosts.length;
        for (uint256 k; k < n; ++k) {
            uint256 id = (((seed % n) + k) % n) + 1;
            if (market.lease(id).state == state) return (id, true);
        }
        return (0, false);
    }

    /// @dev An acknowledged lease that has not ended (Active or Grace).
    function _pickRunning(uint256 seed) private view returns (uint256, bool) {
        (uint256 id, bool found) = _pick(seed, ILeaseMarket.LeaseState.Active);
        if (found) return (id, true);
        return _pick(seed, ILeaseMarket.LeaseState.Grace);
    }

    /// @dev Any lease that has not ended.
    function _pickLive(uint256 seed) private view returns (uint256, bool) {
        (uint256 id, bool found) = _pickRunning(seed);
        if (found) return (id, true);
        return _pick(seed, ILeaseMarket.LeaseState.Pending);
    }
}

contract LeaseMarketTest is NodeKeys {
    uint256 private constant RATE_DENOMINATOR = 3_600 * 1_024;

    FoldToken private token;
    NodeRegistry private nodes;
    LeaseMarket private market;
    LeaseMarketHandler private handler;
    address private treasury = makeAddr("treasury");

    function setUp() public {
        Grid memory g = _deployGrid(100_000_000 ether);
        (token, nodes) = (g.token, g.nodes);
        (IdentityRegistry identities, ReputationRegistry reputation) = (g.identities, g.reputation);
        market = new LeaseMarket(address(token), address(nodes), address(reputation), treasury, 250, 600, 300, 3_600);
        // Wired as the deployment wires it: granted, then sealed; the handler plays the admin.
        nodes.grantRole(nodes.MARKET_ROLE(), address(market));
        nodes.sealRole(nodes.MARKET_ROLE());
        reputation.grantRole(reputation.WRITER_ROLE(), address(market));
        reputation.sealRole(reputation.WRITER_ROLE());
        handler = new LeaseMarketHandler(token, identities, nodes, market, reputation);
        nodes.grantRole(nodes.DEFAULT_ADMIN_ROLE(), address(handler));
        reputation.grantRole(reputation.DEFAULT_ADMIN_ROLE(), address(handler));
        // The farmer plays two of the tenants: fund it once.
        for (uint256 t; t < 4; ++t) assertTrue(token.transfer(handler.tenants(t), handler.TENANT_FUNDS()));
        targetContract(address(handler));
        _reputation = reputation;
    }

    ReputationRegistry private _reputation;

    /// @notice A lease that paid nothing (a free node, or a zero deposit) left no receipt, and the farm's outcomes are
    /// exactly those of its ended leases by other identities: Completed for each that ran and paid it, Refunded for
    /// each that did not run; none for leases of its own identity, none for a free lease that ran.
    function invariant_outcomesAreEarned() public view {
        uint256 completed;
        uint256 refunded;
        for (uint256 id = 1; id <= market.leaseCount(); ++id) {
            ILeaseMarket.Lease memory l = market.lease(id);
            if (l.paid == 0) assertEq(l.receiptId, 0, "a free lease has a receipt");
            if (l.state != ILeaseMarket.LeaseState.Ended || l.tenantId == handler.farmerId()) continue;
            ILeaseMarket.EndReason r = l.endReason;
            bool served =
                r == ILeaseMarket.EndReason.ClosedByTenant ||
                    r == ILeaseMarket.EndReason.OutOfFunds ||
                    r == ILeaseMarket.EndReason.Reclaimed;
            if (!served) ++refunded;
            else if (l.paid != 0) ++completed;
        }
        IReputationRegistry.Summary memory s = _reputation.summary(handler.farmerId(), bytes32(0));
        assertEq(s.completed, completed, "Completed outcomes");
        assertEq(s.refunded, refunded, "Refunded outcomes");
    }

    /// @notice The market keeps its roles, whatever the admin tried.
    function invariant_marketKeepsItsRoles() public view {
        assertTrue(nodes.hasRole(nodes.MARKET_ROLE(), address(market)), "market role revoked");
        assertTrue(_reputation.hasRole(_reputation.WRITER_ROLE(), address(market)), "writer role revoked");
        assertFalse(nodes.hasRole(nodes.MARKET_ROLE(), address(handler)), "market role taken");
    }

    /// @notice The market holds exactly the escrow of the leases that have not ended, plus the accrued fees.
    function invariant_balanceIsUnsettledEscrowPlusFees() public view {
        uint256 escrow;
        for (uint256 id = 1; id <= market.leaseCount(); ++id) {
            ILeaseMarket.Lease memory l = market.lease(id);
            if (l.state == ILeaseMarket.LeaseState.Ended) assertEq(l.escrow, 0, "ended lease holds escrow");
            escrow += l.escrow;
        }
        assertEq(token.balanceOf(address(market)), escrow + market.feesAccrued());
    }

    /// @notice Deposits = payouts + fees + refunds + the escrow still held: no unit is created or lost.
    function invariant_depositsAreConserved() public view {
        uint256 escrow;
        uint256 paid;
        for (uint256 id = 1; id <= market.leaseCount(); ++id) {
            ILeaseMarket.Lease memory l = market.lease(id);
            escrow += l.escrow;
            paid += l.paid;
        }
        // Four funded accounts: tenants 0 to 2 and the farmer (tenants 3 and 4).
        uint256 tenantsNow;
        for (uint256 t; t < 4; ++t) tenantsNow += token.balanceOf(handler.tenants(t));
        uint256 refunds = handler.ghostDeposits() - (handler.TENANT_FUNDS() * 4 - tenantsNow);
        uint256 payouts = token.balanceOf(handler.payout());
        uint256 fees = token.balanceOf(treasury) + market.feesAccrued();
        assertEq(handler.ghostDeposits(), payouts + fees + refunds + escrow, "conservation");
        assertEq(paid, payouts + fees, "paid = payouts + fees");
    }

    /// @notice Each node's reserved capacity is the sum of its live leases' resources, within its resources.
    function invariant_reservedIsLiveLeases() public view {
        for (uint256 nodeId = 1; nodeId <= handler.NODES(); ++nodeId) {
            uint256 cpu;
            uint256 memoryMiB;
            uint256 gpus;
            uint256 live;
            for (uint256 id = 1; id <= market.leaseCount(); ++id) {
                ILeaseMarket.Lease memory l = market.lease(id);
                if (l.nodeId != nodeId || l.state == ILeaseMarket.LeaseState.Ended) continue;
                cpu += l.resources.cpu;
                memoryMiB += l.resources.memoryMiB;
                gpus += l.resources.gpus;
                ++live;
            }
            (INodeRegistry.Resources memory total, INodeRegistry.Resources memory reserved) = nodes.capacity(nodeId);
            assertEq(reserved.cpu, cpu, "cpu");
            assertEq(reserved.memoryMiB, memoryMiB, "memory");
            assertEq(reserved.gpus, gpus, "gpus");
            assertEq(nodes.node(nodeId).activeLeases, live, "leases");
            assertLe(reserved.cpu, total.cpu);
            assertLe(reserved.memoryMiB, total.memoryMiB);
            assertLe(reserved.gpus, total.gpus);
        }
    }

    /// @notice No lease pays for more than the seconds its node proved online while the lease was billing (each
    /// silence counted at most one heartbeat interval, as the registry credits it).
    function invariant_billedOnlyForProvenSeconds() public view {
        for (uint256 id = 1; id <= market.leaseCount(); ++id) {
            ILeaseMarket.Lease memory l = market.lease(id);
            uint256 proven = handler.ghost(id).proven;
            assertLe(uint256(l.paid) * RATE_DENOMINATOR, uint256(l.scaledRate) * proven, "billed beyond proven");
        }
    }
}
