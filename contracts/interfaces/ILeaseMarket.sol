// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Permits} from "../libraries/Permits.sol";
import {INodeRegistry} from "./INodeRegistry.sol";

/// @title Fourfold lease market
/// @notice Tenants lease node capacity with escrow in the payment token, and pay only for the seconds the node proved
/// it was online. A lease opens Pending with the capacity reserved and the node's prices fixed; the node's key
/// acknowledges it (naming an endpoint) or rejects it with a full refund. From acknowledgement on, a lease owes
/// rate x (the node's proven online seconds since then); `settle`, by anyone, pays that to the farm's payout address
/// minus the protocol fee, which accrues for the treasury (`withdrawFees`). When the escrow left is less than the grace reserve (the grace period at
/// the lease's rate) the lease enters Grace; a top-up that restores the reserve returns it to Active; after the
/// grace period anyone may expire it. The tenant may close at any time (settle and refund); the farm may reclaim
/// after a notice; a lease whose node stays offline for the grace period can be ended by anyone with a refund.
/// Each lease of another identity than the farm's has one reputation receipt (tenant to farm), created at its first
/// payment and grown by every later one, and its end records an outcome about the farm: Completed if it ran and paid
/// the farm, Refunded if it did not run (a free lease that ran records none).
interface ILeaseMarket {
    /// @notice A lease's lifecycle.
    enum LeaseState {
        None,
        Pending,
        Active,
        Grace,
        Ended
    }

    /// @notice Why a lease ended.
    enum EndReason {
        None,
        /// The tenant closed it.
        ClosedByTenant,
        /// Its grace period ran out before a top-up.
        OutOfFunds,
        /// The farm reclaimed it after the notice.
        Reclaimed,
        /// Its node stayed offline (or was retired in practice) for the grace period.
        NodeGone,
        /// The node rejected it before acknowledging it.
        Rejected,
        /// The tenant cancelled it after the node failed to acknowledge it in time.
        Cancelled
    }

    /// @notice A lease. Amounts are payment-token base units. The market stores it in four slots, with the resources
    /// laid out beside the tenant's identity: a settlement reads the first, second and fourth and writes the first two;
    /// the second is all zero when a lease opens, which keeps opening cheap.
    /// @param escrow What is left of the tenant's deposits.
    /// @param scaledRate Its price: base units per hour, times 1,024 (memory is priced per GiB and leased per MiB).
    /// @param nodeId Its node.
    /// @param state Its state.
    /// @param endReason Why it ended (None until it does).
    /// @param paid Paid to the farm and treasury so far.
    /// @param settledSeconds The node's proven online seconds counted by the last settlement.
    /// @param startSeconds The node's proven online seconds, plus the part of its current gap before the
    /// acknowledgement, at acknowledgement; billing counts from here.
    /// @param receiptId Its reputation receipt (zero until its first payment, and for a farm leasing from itself).
    /// @param tenant Who pays and receives refunds.
    /// @param openedAt When it was opened.
    /// @param reclaimAt When the farm's reclaim notice ends (zero without notice).
    /// @param resources The capacity it holds.
    /// @param tenantId The tenant's identity.
    /// @param graceSince When it entered Grace (zero outside Grace).
    struct Lease {
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
        INodeRegistry.Resources resources;
        uint64 tenantId;
        uint40 graceSince;
    }

    /// @notice A constructor parameter is out of its range.
    /// @param parameter Which one.
    /// @param value The rejected value.
    error LeaseMarketInvalidParameter(string parameter, uint256 value);

    /// @notice The caller neither owns the tenant identity nor is one of its active Operator or Agent keys.
    error LeaseNotTenantIdentity(uint256 tenantId, address caller);

    /// @notice A lease must hold at least one CPU core and 64 MiB of memory (MIN_CPU, MIN_MEMORY_MIB): a workload
    /// runs on no fewer.
    /// @param cpu The cores asked for.
    /// @param memoryMiB The memory asked for, in MiB.
    error LeaseTooSmall(uint256 cpu, uint256 memoryMiB);

    /// @notice The node's current price for a resource is above the tenant's maximum.
    /// @param nodeId The node.
    error LeasePriceAboveMax(uint256 nodeId);

    /// @notice The lease's rate does not fit in 96 bits.
    error LeaseRateTooHigh();

    /// @notice The deposit does not cover the grace period at the lease's rate.
    /// @param deposit The deposit.
    /// @param minimum The least deposit accepted.
    error LeaseDepositTooLow(uint256 deposit, uint256 minimum);

    /// @notice An escrow must fit in 96 bits.
    error LeaseEscrowTooLarge();

    /// @notice No lease has this id.
    error LeaseUnknown(uint256 leaseId);

    /// @notice The lease is not in a state this call accepts.
    /// @param leaseId The lease.
    /// @param state Its state.
    error LeaseWrongState(uint256 leaseId, LeaseState state);

    /// @notice Only the lease's tenant may do this.
    error LeaseNotTenant(uint256 leaseId, address caller);

    /// @notice Only the node's active key may do this.
    error LeaseNotNodeKey(uint256 leaseId, address caller);

    /// @notice Only the owner of the node's farm may do this.
    error LeaseNotFarmOwner(uint256 leaseId, address caller);

    /// @notice The node still has time to acknowledge the lease; the tenant may cancel from `ackDeadline` on.
    error LeaseAwaitingAck(uint256 leaseId, uint256 ackDeadline);

    /// @notice The lease can be expired neither for lack of funds nor for an absent node yet.
    error LeaseNotExpirable(uint256 leaseId);

    /// @notice The farm's reclaim notice runs until `reclaimAt`.
    error LeaseReclaimNoticePending(uint256 leaseId, uint256 reclaimAt);

    /// @notice A top-up must be more than zero.
    error LeaseZeroTopUp();

    /// @notice A sealed manifest must be 1 to `MAX_MANIFEST_BYTES` bytes.
    error LeaseInvalidManifest(uint256 length);

    /// @notice An endpoint or a rejection reason must be 1 to 256 bytes.
    error LeaseInvalidText();

    /// @notice A lease was opened; it waits for the node's acknowledgement.
    /// @param leaseId The new lease.
    /// @param nodeId Its node.
    /// @param tenant The paying account.
    /// @param tenantId The tenant's identity.
    /// @param resources The capacity it holds.
    /// @param scaledRate Its price (base units per hour, times 1,024).
    /// @param deposit The first deposit.
    /// @param deploymentHash The hash of the deployment manifest the tenant will post.
    event LeaseOpened(
        uint256 indexed leaseId,
        uint256 indexed nodeId,
        address indexed tenant,
        uint256 tenantId,
        INodeRegistry.Resources resources,
        uint256 scaledRate,
        uint256 deposit,
        bytes32 deploymentHash
    );

    /// @notice The tenant posted a deployment manifest, sealed to the node's identity key. Kept in this event only.
    event LeaseManifest(uint256 indexed leaseId, uint256 indexed nodeId, bytes sealedManifest);

    /// @notice The node acknowledged the lease; billing starts.
    event LeaseAcknowledged(uint256 indexed leaseId, uint256 indexed nodeId, string endpoint, uint256 startSeconds);

    /// @notice The node rejected the lease before acknowledging it.
    event LeaseRejected(uint256 indexed leaseId, uint256 indexed nodeId, string reason);

    /// @notice Someone added to the lease's escrow.
    event LeaseToppedUp(uint256 indexed leaseId, address indexed from, uint256 amount, uint256 escrow);

    /// @notice A settlement paid for proven online time.
    /// @param leaseId The lease.
    /// @param seconds_ Proven online seconds counted by this settlement.
    /// @param amount Paid by this settlement (to the farm and the treasury).
    /// @param fee Of which the treasury's protocol fee.
    /// @param escrow The escrow left.
    event LeaseSettled(uint256 indexed leaseId, uint256 seconds_, uint256 amount, uint256 fee, uint256 escrow);

    /// @notice The lease entered Grace (escrow below the grace reserve) or left it (a top-up restored the reserve).
    event LeaseStateChanged(uint256 indexed leaseId, LeaseState state);

    /// @notice The farm gave notice; it may reclaim the lease from `reclaimAt`.
    event LeaseReclaimNotice(uint256 indexed leaseId, uint256 reclaimAt);

    /// @notice Accrued protocol fees went to the treasury.
    event FeesWithdrawn(address indexed treasury, uint256 amount);

    /// @notice The lease ended; its capacity is free and `refund` went back to the tenant.
    event LeaseEnded(uint256 indexed leaseId, uint256 indexed nodeId, EndReason reason, uint256 refund);

    /// @notice Opens a lease on `nodeId` for `tenantId`, reserving `resources` at the node's current prices and
    /// escrowing `deposit` from the caller (who must have approved it). The node must be Active and online, every
    /// price at most `maxPrices`' and the deposit at least the grace reserve. The caller pays and gets refunds; it
    /// must own `tenantId` or be one of its active Operator or Agent keys.
    /// @return leaseId The new lease.
    function openLease(
        uint256 tenantId,
        uint256 nodeId,
        INodeRegistry.Resources calldata resources,
        uint256 deposit,
        INodeRegistry.Prices calldata maxPrices,
        bytes32 deploymentHash
    ) external returns (uint256 leaseId);

    /// @notice `openLease` with an ERC-2612 permit for the deposit in the same transaction. A permit that was
    /// already used (front-run) is ignored when the allowance covers the deposit anyway.
    function openLeaseWithPermit(
        uint256 tenantId,
        uint256 nodeId,
        INodeRegistry.Resources calldata resources,
        uint256 deposit,
        INodeRegistry.Prices calldata maxPrices,
        bytes32 deploymentHash,
        Permits.Permit calldata permit
    ) external returns (uint256 leaseId);

    /// @notice Posts the deployment manifest, sealed to the node's identity X25519 key, in an event. Tenant only,
    /// before the lease ends.
    function postManifest(uint256 leaseId, bytes calldata sealedManifest) external;

    /// @notice Acknowledges a Pending lease and names where the tenant reaches the deployment. Node key only.
    /// Billing starts now.
    function acknowledgeLease(uint256 leaseId, string calldata endpoint) external;

    /// @notice Rejects a Pending lease (undecryptable manifest, unknown template, parameters out of range) and
    /// refunds the whole escrow. Node key only.
    function rejectLease(uint256 leaseId, string calldata reason) external;

    /// @notice Adds `amount` from the caller to the escrow, after settling; a lease in Grace whose escrow then
    /// covers the grace reserve returns to Active.
    function topUp(uint256 leaseId, uint256 amount) external;

    /// @notice Pays the farm for the node's proven online seconds since the last settlement. Anyone.
    function settle(uint256 leaseId) external;

    /// @notice Sends the protocol fees accrued by settlements to the treasury. Anyone.
    /// @return amount The amount sent (zero when nothing had accrued).
    function withdrawFees() external returns (uint256 amount);

    /// @notice Ends the lease for its tenant: settles, refunds the rest and frees the capacity. A Pending lease can
    /// be closed (cancelled, with a full refund) only once the node's acknowledgement window has passed.
    function closeLease(uint256 leaseId) external;

    /// @notice Ends a lease that has been in Grace for the grace period (OutOfFunds), or whose node has been
    /// silent for the grace period (NodeGone): settles, refunds the rest, frees the capacity. Anyone.
    function expireLease(uint256 leaseId) external;

    /// @notice The farm's owner first gives notice; once the notice has run, the same call ends the lease
    /// (settle, refund, free the capacity).
    function reclaimLease(uint256 leaseId) external;

    /// @notice A lease. Reverts with `LeaseUnknown` for an unknown id.
    function lease(uint256 leaseId) external view returns (Lease memory);

    /// @notice What a settlement now would pay (it may be less than owed when the escrow is short).
    function due(uint256 leaseId) external view returns (uint256);

    /// @notice The price of `resources` on `nodeId` now, and the least deposit a lease for it needs.
    /// @return scaledRate Base units per hour, times 1,024.
    /// @return minDeposit The grace reserve at that rate.
    function quote(
        uint256 nodeId,
        INodeRegistry.Resources calldata resources
    ) external view returns (uint256 scaledRate, uint256 minDeposit);

    function leaseCount() external view returns (uint256);
    function gracePeriod() external view returns (uint256);
    function ackWindow() external view returns (uint256);
    function reclaimNotice() external view returns (uint256);
    function protocolFeeBps() external view returns (uint256);
    /// @notice Protocol fees settled but not yet sent to the treasury.
    function feesAccrued() external view returns (uint256);
    function treasury() external view returns (address);
    function paymentToken() external view returns (address);
    function nodeRegistry() external view returns (address);
    function reputationRegistry() external view returns (address);
}
