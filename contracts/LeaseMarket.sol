// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {ILeaseMarket} from "./interfaces/ILeaseMarket.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";
import {Permits} from "./libraries/Permits.sol";

/// @title LeaseMarket
/// @notice See {ILeaseMarket}.
/// @dev Billing is cumulative, so rounding never drifts: a lease owes floor((billed seconds) x scaledRate /
/// (3,600 x 1,024)) in all, and each settlement pays that minus what was already paid, capped by the escrow. What
/// the escrow could not cover stays owed and is paid first by the next settlement after a top-up.
///
/// Only proven seconds are billed. At acknowledgement the lease snapshots the node's accrued online seconds (its
/// credited seconds plus what its next heartbeat will credit for the time before the acknowledgement), and each
/// settlement reads the credited counter. So a lease pays for no time before it was acknowledged, and for at most
/// min(gap, maxGap) of any silence of its node, as the registry credits it; the time between the node's last
/// heartbeat and the lease's end is not billed.
///
/// The market's parameters are immutable: every lease is opened, billed and ended under the same terms.
contract LeaseMarket is ILeaseMarket {
    using SafeERC20 for IERC20;

    /// @notice The highest protocol fee: 10 %.
    uint256 public constant MAX_FEE_BPS = 1_000;
    /// @notice The longest grace period: 72 hours.
    uint256 public constant MAX_GRACE_PERIOD = 72 hours;
    /// @notice The largest sealed manifest, in bytes.
    uint256 public constant MAX_MANIFEST_BYTES = 16_384;
    /// @notice The fewest CPU cores a lease holds: a workload needs a core to run on.
    uint16 public constant MIN_CPU = 1;
    /// @notice The least memory a lease holds, in MiB.
    uint32 public constant MIN_MEMORY_MIB = 64;

    uint256 private constant MIN_WINDOW = 1 minutes;
    uint256 private constant MAX_ACK_WINDOW = 1 days;
    uint256 private constant MAX_RECLAIM_NOTICE = 30 days;
    uint256 private constant MAX_TEXT_BYTES = 256;
    uint256 private constant BPS = 10_000;
    /// @dev Rates are per hour and times 1,024; billing is per second.
    uint256 private constant RATE_DENOMINATOR = 1 hours * 1_024;
    bytes32 private constant RECEIPT_KIND = "lease";

    /// @dev A Lease as stored: its resources are laid out field by field, so that they share the fourth slot with the
    /// tenant's identity and the grace timestamp (a nested struct would take a fifth slot of its own).
    struct LeaseRecord {
        uint96 escrow;
        uint96 scaledRate;
        uint48 nodeId;
        LeaseState state;
        EndReason endReason;
        uint96 paid;
        uint48 settledSeconds;
        uint48 startSeconds;
        uint64 receiptId;
        address tenant;
        uint40 openedAt;
        uint40 reclaimAt;
        uint64 tenantId;
        uint40 graceSince;
        uint16 cpu;
        uint32 memoryMiB;
        uint32 ssdGiB;
        uint32 hddGiB;
        uint16 gpus;
    }

    IERC20 private immutable _token;
    INodeRegistry private immutable _nodes;
    IIdentityRegistry private immutable _identities;
    IReputationRegistry private immutable _reputation;
    address private immutable _treasury;
    uint256 private immutable _feeBps;
    uint256 private immutable _gracePeriod;
    uint256 private immutable _ackWindow;
    uint256 private immutable _reclaimNotice;

    uint256 private _leaseCount;
    uint256 private _feesAccrued;
    mapping(uint256 leaseId => LeaseRecord) private _leases;

    /// @param token The payment token (FOLD).
    /// @param nodes The node registry; this market needs its market role.
    /// @param reputation The reputation registry; this market needs its writer role.
    /// @param treasury_ Receives the protocol fee.
    /// @param feeBps The protocol fee in basis points of each payment, at most `MAX_FEE_BPS`.
    /// @param gracePeriod_ How long a lease stays in Grace before it can be expired, and how long its node may be
    /// silent before anyone can end it as NodeGone: at least the registry's `offlineAfter` (a node between two
    /// heartbeats is not gone), at most 72 hours.
    /// @param ackWindow_ How long a node has to acknowledge a lease before its tenant may cancel: 1 minute to 1 day.
    /// @param reclaimNotice_ The farm's notice before reclaiming a lease: 1 minute to 30 days.
    constructor(
        address token,
        address nodes,
        address reputation,
        address treasury_,
        uint256 feeBps,
        uint256 gracePeriod_,
        uint256 ackWindow_,
        uint256 reclaimNotice_
    ) {
        if (treasury_ == address(0)) revert LeaseMarketInvalidParameter("treasury", 0);
        if (feeBps > MAX_FEE_BPS) revert LeaseMarketInvalidParameter("feeBps", feeBps);
        if (gracePeriod_ < INodeRegistry(nodes).offlineAfter() || gracePeriod_ > MAX_GRACE_PERIOD) {
            revert LeaseMarketInvalidParameter("gracePeriod", gracePeriod_);
        }
        if (ackWindow_ < MIN_WINDOW || ackWindow_ > MAX_ACK_WINDOW) {
            revert LeaseMarketInvalidParameter("ackWindow", ackWindow_);
        }
        if (reclaimNotice_ < MIN_WINDOW || reclaimNotice_ > MAX_RECLAIM_NOTICE) {
            revert LeaseMarketInvalidParameter("reclaimNotice", reclaimNotice_);
        }
        _token = IERC20(token);
        _nodes = INodeRegistry(nodes);
        _identities = IIdentityRegistry(INodeRegistry(nodes).identityRegistry());
        _reputation = IReputationRegistry(reputation);
        _treasury = treasury_;
        _feeBps = feeBps;
        _gracePeriod = gracePeriod_;
        _ackWindow = ackWindow_;
        _reclaimNotice = reclaimNotice_;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Opening
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILeaseMarket
    function openLease(
        uint256 tenantId,
        uint256 nodeId,
        INodeRegistry.Resources calldata resources,
        uint256 deposit,
        INodeRegistry.Prices calldata maxPrices,
        bytes32 deploymentHash
    ) external returns (uint256) {
        return _open(tenantId, nodeId, resources, deposit, maxPrices, deploymentHash);
    }

    /// @inheritdoc ILeaseMarket
    function openLeaseWithPermit(
        uint256 tenantId,
        uint256 nodeId,
        INodeRegistry.Resources calldata resources,
        uint256 deposit,
        INodeRegistry.Prices calldata maxPrices,
        bytes32 deploymentHash,
        Permits.Permit calldata permit
    ) external returns (uint256) {
        Permits.tryPermit(address(_token), msg.sender, deposit, permit);
        return _open(tenantId, nodeId, resources, deposit, maxPrices, deploymentHash);
    }

    function _open(
        uint256 tenantId,
        uint256 nodeId,
        INodeRegistry.Resources calldata resources,
        uint256 deposit,
        INodeRegistry.Prices calldata maxPrices,
        bytes32 deploymentHash
    ) private returns (uint256 leaseId) {
        _requireTenantIdentity(tenantId);
        if (resources.cpu < MIN_CPU || resources.memoryMiB < MIN_MEMORY_MIB) {
            revert LeaseTooSmall(resources.cpu, resources.memoryMiB);
        }
        if (deposit > type(uint96).max) revert LeaseEscrowTooLarge();
        uint256 rate = _scaledRate(resources, _reserveWithin(nodeId, resources, maxPrices));
        if (rate > type(uint96).max) revert LeaseRateTooHigh();
        uint256 minimum = _graceReserve(rate);
        if (deposit < minimum) revert LeaseDepositTooLow(deposit, minimum);

        leaseId = ++_leaseCount;
        _leases[leaseId] = LeaseRecord({
            escrow: uint96(deposit),
            scaledRate: uint96(rate),
            // The registry has just reserved capacity on it, so it is a registered node: far below 2^48.
            nodeId: uint48(nodeId),
            state: LeaseState.Pending,
            endReason: EndReason.None,
            paid: 0,
            settledSeconds: 0,
            startSeconds: 0,
            receiptId: 0,
            tenant: msg.sender,
            openedAt: uint40(block.timestamp),
            reclaimAt: 0,
            tenantId: SafeCast.toUint64(tenantId),
            graceSince: 0,
            cpu: resources.cpu,
            memoryMiB: resources.memoryMiB,
            ssdGiB: resources.ssdGiB,
            hddGiB: resources.hddGiB,
            gpus: resources.gpus
        });
        emit LeaseOpened(leaseId, nodeId, msg.sender, tenantId, resources, rate, deposit, deploymentHash);
        _token.safeTransferFrom(msg.sender, address(this), deposit);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // The node's side
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILeaseMarket
    function postManifest(uint256 leaseId, bytes calldata sealedManifest) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        if (ls.tenant != msg.sender) revert LeaseNotTenant(leaseId, msg.sender);
        LeaseState state = ls.state;
        if (state == LeaseState.Ended) revert LeaseWrongState(leaseId, state);
        if (sealedManifest.length == 0 || sealedManifest.length > MAX_MANIFEST_BYTES) {
            revert LeaseInvalidManifest(sealedManifest.length);
        }
        emit LeaseManifest(leaseId, ls.nodeId, sealedManifest);
    }

    /// @inheritdoc ILeaseMarket
    function acknowledgeLease(uint256 leaseId, string calldata endpoint) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        _requireState(leaseId, ls.state, LeaseState.Pending);
        uint256 nodeId = ls.nodeId;
        _requireNodeKey(leaseId, nodeId);
        _requireText(endpoint);
        uint48 start = uint48(_nodes.accruedOnlineSeconds(nodeId));
        ls.state = LeaseState.Active;
        ls.startSeconds = start;
        ls.settledSeconds = start;
        emit LeaseAcknowledged(leaseId, nodeId, endpoint, start);
    }

    /// @inheritdoc ILeaseMarket
    function rejectLease(uint256 leaseId, string calldata reason) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        _requireState(leaseId, ls.state, LeaseState.Pending);
        uint256 nodeId = ls.nodeId;
        _requireNodeKey(leaseId, nodeId);
        _requireText(reason);
        emit LeaseRejected(leaseId, nodeId, reason);
        (, , , uint256 farmIdentityId) = _nodes.billing(nodeId);
        _end(leaseId, ls, EndReason.Rejected, ls.escrow, farmIdentityId);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Paying
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILeaseMarket
    function topUp(uint256 leaseId, uint256 amount) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        LeaseState state = ls.state;
        if (state == LeaseState.Ended) revert LeaseWrongState(leaseId, state);
        if (amount == 0) revert LeaseZeroTopUp();
        uint256 escrow = ls.escrow + amount;
        if (escrow > type(uint96).max) revert LeaseEscrowTooLarge();
        ls.escrow = uint96(escrow);
        // Settling after the top-up pays first what a short escrow left owed.
        Settlement memory s;
        if (state != LeaseState.Pending) {
            s = _settle(leaseId, ls);
            escrow = s.escrow;
            _updateGrace(leaseId, ls, escrow);
        }
        emit LeaseToppedUp(leaseId, msg.sender, amount, escrow);
        // Checks, effects, interactions: every token moves after the state is written, the top-up first.
        _token.safeTransferFrom(msg.sender, address(this), amount);
        _payFarm(s);
    }

    /// @inheritdoc ILeaseMarket
    function settle(uint256 leaseId) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        _requireRunning(leaseId, ls.state);
        Settlement memory s = _settle(leaseId, ls);
        _updateGrace(leaseId, ls, s.escrow);
        _payFarm(s);
    }

    /// @inheritdoc ILeaseMarket
    function withdrawFees() external returns (uint256 amount) {
        amount = _feesAccrued;
        if (amount == 0) return 0;
        _feesAccrued = 0;
        emit FeesWithdrawn(_treasury, amount);
        _token.safeTransfer(_treasury, amount);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Ending
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILeaseMarket
    function closeLease(uint256 leaseId) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        if (ls.tenant != msg.sender) revert LeaseNotTenant(leaseId, msg.sender);
        LeaseState state = ls.state;
        if (state == LeaseState.Pending) {
            uint256 ackDeadline = ls.openedAt + _ackWindow;
            if (block.timestamp < ackDeadline) revert LeaseAwaitingAck(leaseId, ackDeadline);
            (, , , uint256 farmIdentityId) = _nodes.billing(ls.nodeId);
            _end(leaseId, ls, EndReason.Cancelled, ls.escrow, farmIdentityId);
            return;
        }
        _requireRunning(leaseId, state);
        Settlement memory s = _settle(leaseId, ls);
        _end(leaseId, ls, EndReason.ClosedByTenant, s.escrow, s.farmIdentityId);
        _payFarm(s);
    }

    /// @inheritdoc ILeaseMarket
    function expireLease(uint256 leaseId) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        _requireRunning(leaseId, ls.state);
        Settlement memory s = _settle(leaseId, ls);
        uint256 graceSince = ls.graceSince;
        EndReason reason;
        if (graceSince != 0 && block.timestamp >= graceSince + _gracePeriod) {
            reason = EndReason.OutOfFunds;
        } else if (block.timestamp >= s.lastHeartbeat + _gracePeriod) {
            reason = EndReason.NodeGone;
        } else {
            revert LeaseNotExpirable(leaseId);
        }
        _end(leaseId, ls, reason, s.escrow, s.farmIdentityId);
        _payFarm(s);
    }

    /// @inheritdoc ILeaseMarket
    function reclaimLease(uint256 leaseId) external {
        LeaseRecord storage ls = _requireLease(leaseId);
        _requireRunning(leaseId, ls.state);
        INodeRegistry.Node memory n = _nodes.node(ls.nodeId);
        if (_nodes.farmOwner(n.farmId) != msg.sender) revert LeaseNotFarmOwner(leaseId, msg.sender);
        uint256 reclaimAt = ls.reclaimAt;
        if (reclaimAt == 0) {
            reclaimAt = block.timestamp + _reclaimNotice;
            ls.reclaimAt = uint40(reclaimAt);
            emit LeaseReclaimNotice(leaseId, reclaimAt);
            return;
        }
        if (block.timestamp < reclaimAt) revert LeaseReclaimNoticePending(leaseId, reclaimAt);
        Settlement memory s = _settle(leaseId, ls);
        _end(leaseId, ls, EndReason.Reclaimed, s.escrow, s.farmIdentityId);
        _payFarm(s);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc ILeaseMarket
    function lease(uint256 leaseId) external view returns (Lease memory) {
        LeaseRecord storage ls = _requireLease(leaseId);
        return
            Lease({
                escrow: ls.escrow,
                scaledRate: ls.scaledRate,
                nodeId: ls.nodeId,
                state: ls.state,
                endReason: ls.endReason,
                paid: ls.paid,
                settledSeconds: ls.settledSeconds,
                startSeconds: ls.startSeconds,
                receiptId: ls.receiptId,
                tenant: ls.tenant,
                openedAt: ls.openedAt,
                reclaimAt: ls.reclaimAt,
                resources: _resourcesOf(ls),
                tenantId: ls.tenantId,
                graceSince: ls.graceSince
            });
    }

    /// @inheritdoc ILeaseMarket
    function due(uint256 leaseId) external view returns (uint256) {
        LeaseRecord storage ls = _requireLease(leaseId);
        LeaseState state = ls.state;
        if (state != LeaseState.Active && state != LeaseState.Grace) return 0;
        (uint256 online, , , ) = _nodes.billing(ls.nodeId);
        (uint256 amount, ) = _amountDue(ls, online);
        return amount;
    }

    /// @inheritdoc ILeaseMarket
    function quote(
        uint256 nodeId,
        INodeRegistry.Resources calldata resources
    ) external view returns (uint256 scaledRate, uint256 minDeposit) {
        scaledRate = _scaledRate(resources, _nodes.prices(nodeId));
        minDeposit = _graceReserve(scaledRate);
    }

    /// @inheritdoc ILeaseMarket
    function leaseCount() external view returns (uint256) {
        return _leaseCount;
    }

    /// @inheritdoc ILeaseMarket
    function gracePeriod() external view returns (uint256) {
        return _gracePeriod;
    }

    /// @inheritdoc ILeaseMarket
    function ackWindow() external view returns (uint256) {
        return _ackWindow;
    }

    /// @inheritdoc ILeaseMarket
    function reclaimNotice() external view returns (uint256) {
        return _reclaimNotice;
    }

    /// @inheritdoc ILeaseMarket
    function protocolFeeBps() external view returns (uint256) {
        return _feeBps;
    }

    /// @inheritdoc ILeaseMarket
    function feesAccrued() external view returns (uint256) {
        return _feesAccrued;
    }

    /// @inheritdoc ILeaseMarket
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ILeaseMarket
    function paymentToken() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc ILeaseMarket
    function nodeRegistry() external view returns (address) {
        return address(_nodes);
    }

    /// @inheritdoc ILeaseMarket
    function reputationRegistry() external view returns (address) {
        return address(_reputation);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev What `_settle` learned, for the caller that ends the lease next, and the farm's payment, which the caller
    /// sends (`_payFarm`) once every state change is written.
    struct Settlement {
        uint256 escrow;
        uint256 lastHeartbeat;
        uint256 farmIdentityId;
        address payout;
        uint256 payment;
    }

    /// @dev Accounts for the proven seconds since the last settlement (capped by the escrow): the fee accrues for the
    /// treasury, the rest is the farm's payment; grows the lease's receipt. Returns the escrow left.
    function _settle(uint256 leaseId, LeaseRecord storage ls) private returns (Settlement memory s) {
        (uint256 online, uint256 lastHeartbeat, address payout, uint256 farmIdentityId) = _nodes.billing(ls.nodeId);
        s.lastHeartbeat = lastHeartbeat;
        s.farmIdentityId = farmIdentityId;
        uint256 settled = ls.settledSeconds;
        (uint256 amount, uint256 paid) = _amountDue(ls, online);
        uint256 escrow = ls.escrow;
        s.escrow = escrow;
        // Nothing new proven and nothing left owed from an earlier, short settlement.
        if (amount == 0 && online <= settled) return s;
        escrow -= amount;
        s.escrow = escrow;
        ls.escrow = uint96(escrow);
        ls.paid = uint96(paid + amount);
        uint256 counted;
        if (online > settled) {
            counted = online - settled;
            ls.settledSeconds = uint48(online);
        }
        uint256 fee = (amount * _feeBps) / BPS;
        emit LeaseSettled(leaseId, counted, amount, fee, escrow);
        if (amount == 0) return s;
        _recordPayment(leaseId, ls, amount, farmIdentityId);
        // The fee accrues here (`withdrawFees` sends it on): a storage update costs less than a second transfer.
        if (fee != 0) _feesAccrued += fee;
        s.payout = payout;
        s.payment = amount - fee;
    }

    /// @dev Sends a settlement's payment to the farm's payout address.
    function _payFarm(Settlement memory s) private {
        if (s.payment != 0) _token.safeTransfer(s.payout, s.payment);
    }

    /// @dev What a settlement at `online` proven seconds pays (owed in all, less paid, capped by the escrow), and
    /// what was paid before it.
    function _amountDue(LeaseRecord storage ls, uint256 online) private view returns (uint256 amount, uint256 paid) {
        paid = ls.paid;
        uint256 start = ls.startSeconds;
        if (online <= start) return (0, paid);
        amount = ((online - start) * ls.scaledRate) / RATE_DENOMINATOR - paid;
        uint256 escrow = ls.escrow;
        if (amount > escrow) amount = escrow;
    }

    /// @dev The lease's one receipt, tenant to farm: recorded at its first payment and grown by each later one. A farm
    /// leasing from its own identity gets none (nobody rates themselves).
    function _recordPayment(uint256 leaseId, LeaseRecord storage ls, uint256 amount, uint256 farmIdentityId) private {
        uint256 tenantId = ls.tenantId;
        if (tenantId == farmIdentityId) return;
        uint256 receiptId = ls.receiptId;
        if (receiptId == 0) {
            ls.receiptId = uint64(
                _reputation.recordReceipt(tenantId, farmIdentityId, RECEIPT_KIND, bytes32(leaseId), amount)
            );
        } else {
            _reputation.increaseReceipt(receiptId, amount);
        }
    }

    /// @dev Active with an escrow below the grace reserve enters Grace; Grace with the reserve covered returns to
    /// Active.
    function _updateGrace(uint256 leaseId, LeaseRecord storage ls, uint256 escrow) private {
        LeaseState state = ls.state;
        bool short = escrow < _graceReserve(ls.scaledRate);
        if (state == LeaseState.Active && short) {
            ls.state = LeaseState.Grace;
            ls.graceSince = uint40(block.timestamp);
            emit LeaseStateChanged(leaseId, LeaseState.Grace);
        } else if (state == LeaseState.Grace && !short) {
            ls.state = LeaseState.Active;
            ls.graceSince = 0;
            emit LeaseStateChanged(leaseId, LeaseState.Active);
        }
    }

    /// @dev Ends the lease: frees its capacity, records the farm's outcome and refunds `refund` (the escrow left).
    function _end(
        uint256 leaseId,
        LeaseRecord storage ls,
        EndReason reason,
        uint256 refund,
        uint256 farmIdentityId
    ) private {
        ls.state = LeaseState.Ended;
        ls.endReason = reason;
        ls.escrow = 0;
        if (ls.graceSince != 0) ls.graceSince = 0;
        uint256 nodeId = ls.nodeId;
        _nodes.release(nodeId, _resourcesOf(ls));
        bool served =
            reason == EndReason.ClosedByTenant || reason == EndReason.OutOfFunds || reason == EndReason.Reclaimed;
        // No outcome when the farm leased from its own identity (nobody rates themselves), and a served lease counts as
        // Completed only if it paid the farm: a free lease proves nothing, and would let anyone collect Completed
        // outcomes for nothing.
        if (ls.tenantId != farmIdentityId) {
            if (!served) {
                _reputation.recordOutcome(farmIdentityId, IReputationRegistry.Outcome.Refunded, bytes32(leaseId));
            } else if (ls.paid != 0) {
                _reputation.recordOutcome(farmIdentityId, IReputationRegistry.Outcome.Completed, bytes32(leaseId));
            }
        }
        emit LeaseEnded(leaseId, nodeId, reason, refund);
        if (refund != 0) _token.safeTransfer(ls.tenant, refund);
    }

    /// @dev Reserves `resources` on the node and returns its prices, none of which may be above the tenant's maximum.
    function _reserveWithin(
        uint256 nodeId,
        INodeRegistry.Resources calldata resources,
        INodeRegistry.Prices calldata maxPrices
    ) private returns (INodeRegistry.Prices memory p) {
        p = _nodes.reserve(nodeId, resources);
        if (
            p.cpu > maxPrices.cpu ||
            p.memoryGiB > maxPrices.memoryGiB ||
            p.ssdGiB > maxPrices.ssdGiB ||
            p.hddGiB > maxPrices.hddGiB ||
            p.gpu > maxPrices.gpu
        ) revert LeasePriceAboveMax(nodeId);
    }

    /// @dev The lease's price: base units per hour for `resources` at `p`, times 1,024.
    function _scaledRate(
        INodeRegistry.Resources calldata resources,
        INodeRegistry.Prices memory p
    ) private pure returns (uint256) {
        uint256 perHour =
            uint256(resources.cpu) * p.cpu +
                uint256(resources.ssdGiB) * p.ssdGiB +
                uint256(resources.hddGiB) * p.hddGiB +
                uint256(resources.gpus) * p.gpu;
        return perHour * 1_024 + uint256(resources.memoryMiB) * p.memoryGiB;
    }

    /// @dev The grace period's cost at `scaledRate`, rounded up: the least deposit, and the escrow below which a
    /// lease is in Grace.
    function _graceReserve(uint256 scaledRate) private view returns (uint256) {
        return (_gracePeriod * scaledRate + RATE_DENOMINATOR - 1) / RATE_DENOMINATOR;
    }

    function _requireTenantIdentity(uint256 tenantId) private view {
        if (_identities.ownerOf(tenantId) == msg.sender) return;
        if (
            _identities.isActiveKey(msg.sender, tenantId, IIdentityRegistry.KeyPurpose.Operator) ||
            _identities.isActiveKey(msg.sender, tenantId, IIdentityRegistry.KeyPurpose.Agent)
        ) return;
        revert LeaseNotTenantIdentity(tenantId, msg.sender);
    }

    /// @dev Returns the node's farm identity.
    function _requireNodeKey(uint256 leaseId, uint256 nodeId) private view returns (uint256) {
        INodeRegistry.Node memory n = _nodes.node(nodeId);
        if (
            n.key != msg.sender || !_identities.isActiveKey(msg.sender, n.identityId, IIdentityRegistry.KeyPurpose.Node)
        ) {
            revert LeaseNotNodeKey(leaseId, msg.sender);
        }
        return n.identityId;
    }

    function _resourcesOf(LeaseRecord storage ls) private view returns (INodeRegistry.Resources memory) {
        return INodeRegistry.Resources(ls.cpu, ls.memoryMiB, ls.ssdGiB, ls.hddGiB, ls.gpus);
    }

    function _requireLease(uint256 leaseId) private view returns (LeaseRecord storage ls) {
        ls = _leases[leaseId];
        if (ls.state == LeaseState.None) revert LeaseUnknown(leaseId);
    }

    function _requireState(uint256 leaseId, LeaseState state, LeaseState wanted) private pure {
        if (state != wanted) revert LeaseWrongState(leaseId, state);
    }

    /// @dev Active or Grace: acknowledged and not ended.
    function _requireRunning(uint256 leaseId, LeaseState state) private pure {
        if (state != LeaseState.Active && state != LeaseState.Grace) revert LeaseWrongState(leaseId, state);
    }

    function _requireText(string calldata text) private pure {
        if (bytes(text).length == 0 || bytes(text).length > MAX_TEXT_BYTES) revert LeaseInvalidText();
    }
}
