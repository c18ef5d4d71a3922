// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Permits} from "../libraries/Permits.sol";
/// @title Fourfold data market
/// @notice Data owners sell time-limited, revocable, metered access to encrypted datasets. A dataset names its
/// content hash, its encrypted URI (in the event) and its terms: a price per day of access, a price per use, the
/// longest access, the purposes allowed, whether requests are approved automatically, and a licence hash; its
/// revenue may be split among up to 8 payees, the owner taking the rest and all rounding dust.
///
/// A request escrows the whole price: the days asked for, rounded up to the second, plus every use asked for. The
/// grant runs from its approval for the duration asked, for one purpose, and for at most the uses asked; its prices
/// are those of the terms when it was requested. The owner delivers the dataset key sealed to the grantee's X25519
/// key (from the identity registry) in an event. Until then nothing is paid, and after the delivery window the
/// grantee may cancel with a full refund. Once the key is delivered, the time share is paid as it runs (from the
/// delivery, second by second, settled by anyone; the time between approval and delivery is refunded at the end), and
/// each use pays its price as it is recorded. The owner may revoke at any time: the time not yet run and the uses not
/// made go back to the requester, and the grant is refused from the next call on. Earnings accrue to the owner's
/// address and the payees' and are withdrawn with `withdraw`; each paid grant has one reputation receipt (grantee to
/// owner), created at its first payment and grown by every later one.
interface IDataMarket {
    /// @notice What a grant may be used for: one bit each in a dataset's `purposes`.
    enum Purpose {
        None,
        Training,
        Inference,
        Analytics
    }

    /// @notice A grant's lifecycle. Requested grants await the owner; Active grants run until they expire, are
    /// revoked or are used up (checked at each call); the others are ended.
    enum GrantState {
        None,
        Requested,
        Active,
        Rejected,
        Withdrawn,
        Cancelled,
        Revoked,
        Expired
    }

    /// @notice A dataset's terms, for requests made while they hold.
    /// @param pricePerDay Payment-token base units per day of access (charged per second, rounded up per grant).
    /// @param pricePerUse Base units per recorded use.
    /// @param maxDuration The longest access a request may ask for, in seconds.
    /// @param purposes The purposes allowed: bit `1 << Purpose` for each.
    /// @param autoApprove Whether requests become grants at once, without the owner.
    /// @param licenceHash The hash of the licence the grantee accepts by requesting.
    struct Terms {
        uint96 pricePerDay;
        uint96 pricePerUse;
        uint32 maxDuration;
        uint8 purposes;
        bool autoApprove;
        bytes32 licenceHash;
    }

    /// @notice One share of a dataset's revenue.
    struct Payee {
        address account;
        uint16 bps;
    }

    /// @notice A dataset.
    struct Dataset {
        uint64 ownerId;
        bool listed;
        bytes32 contentHash;
        Terms terms;
    }

    /// @notice A grant, as `grant(grantId)` returns it.
    /// @param datasetId Its dataset.
    /// @param granteeId The identity it is granted to.
    /// @param requester Who escrowed the price (and receives refunds).
    /// @param state Its state.
    /// @param purpose Its one purpose.
    /// @param keyDelivered Whether the owner delivered the sealed key.
    /// @param deliveredAt When the key was delivered (zero: not yet); the time share is billed from then.
    /// @param requestedAt When it was requested.
    /// @param duration The access asked for, in seconds, from approval.
    /// @param expiresAt When access ends (zero until approval): it is refused from this second on.
    /// @param usesLeft Uses still allowed.
    /// @param pricePerUse Its price per use.
    /// @param timePrice Its price for the whole duration.
    /// @param timePaid What of `timePrice` has been paid.
    /// @param receiptId Its reputation receipt (zero until its first payment, and when owner and grantee are one).
    struct Grant {
        uint64 datasetId;
        uint64 granteeId;
        address requester;
        GrantState state;
        Purpose purpose;
        bool keyDelivered;
        uint40 deliveredAt;
        uint40 requestedAt;
        uint32 duration;
        uint40 expiresAt;
        uint32 usesLeft;
        uint96 pricePerUse;
        uint96 timePrice;
        uint96 timePaid;
        uint64 receiptId;
    }

    /// @notice A constructor parameter is out of its range.
    error DataMarketInvalidParameter(string parameter, uint256 value);
    /// @notice The caller neither owns the identity nor is one of its active Operator or Agent keys.
    error DataNotIdentityController(uint256 identityId, address caller);
    /// @notice No dataset has this id.
    error DataUnknownDataset(uint256 datasetId);
    /// @notice The dataset is delisted: it takes no requests.
    error DataDatasetDelisted(uint256 datasetId);
    /// @notice A dataset needs a name of 1 to 64 bytes, a content hash, and an encrypted URI of 1 to 256 bytes.
    error DataInvalidDataset();
    /// @notice The terms are out of range: a maximum duration of at least a minute and at most the market's
    /// longest, and purposes within the three known ones, at least one.
    error DataInvalidTerms();
    /// @notice The split has more than 8 payees, a zero address or share, or shares over 10,000 bps in all.
    error DataInvalidSplit();
    /// @notice No grant has this id.
    error DataUnknownGrant(uint256 grantId);
    /// @notice The grant is not in the state the call needs.
    error DataWrongState(uint256 grantId, GrantState state);
    /// @notice The purpose is not a single purpose the dataset allows (or the grant was given for).
    error DataPurposeNotAllowed(uint256 id, Purpose purpose);
    /// @notice The duration must be from 1 second to the dataset's maximum.
    error DataInvalidDuration(uint256 duration, uint256 maxDuration);
    /// @notice A request must ask for at least one use, and at most 2^32 - 1.
    error DataInvalidUses(uint256 maxUses);
    /// @notice The price of the request is above the payment the requester offered.
    error DataPriceAboveMax(uint256 price, uint256 payment);
    /// @notice The price of the request does not fit in 96 bits.
    error DataPriceTooHigh(uint256 price);
    /// @notice The grantee already holds an active grant to this dataset for this purpose.
    error DataAccessAlreadyGranted(uint256 grantId);
    /// @notice The owner's response window has not run out yet.
    error DataResponsePending(uint256 grantId, uint256 respondBy);
    /// @notice The key delivery window has not run out yet.
    error DataDeliveryPending(uint256 grantId, uint256 deliverBy);
    /// @notice The key was delivered already.
    error DataKeyAlreadyDelivered(uint256 grantId);
    /// @notice The grant's key has not been delivered: it cannot be used yet.
    error DataKeyNotDelivered(uint256 grantId);
    /// @notice A sealed key must be 1 to 256 bytes; a reason at most 256.
    error DataInvalidText();
    /// @notice The grantee has no X25519 encryption key in the identity registry to seal the key to.
    error DataNoEncryptionKey(uint256 granteeId);
    /// @notice The grant has expired.
    error DataGrantExpired(uint256 grantId, uint256 expiresAt);
    /// @notice The grant has no uses left.
    error DataGrantUsedUp(uint256 grantId);
    /// @notice The caller may not act for the grant's grantee here: to record a use it must be the grantee's owner, one
    /// of its Operator or Agent keys, or a market; to withdraw a request, the requester.
    error DataNotGrantee(uint256 grantId, address caller);
    /// @notice Nothing to withdraw.
    error DataNothingToWithdraw(address account);

    /// @notice A dataset was registered; its `name` (what the market lists it as) is in this event only.
    event DatasetRegistered(
        uint256 indexed datasetId,
        uint256 indexed ownerId,
        string name,
        bytes32 contentHash,
        string encryptedURI,
        Terms terms,
        Payee[] payees
    );
    event TermsUpdated(uint256 indexed datasetId, Terms terms);
    event DatasetDelisted(uint256 indexed datasetId);
    event AccessRequested(
        uint256 indexed grantId,
        uint256 indexed datasetId,
        uint256 indexed granteeId,
        address requester,
        Purpose purpose,
        uint256 duration,
        uint256 maxUses,
        uint256 escrow
    );
    event GrantApproved(
        uint256 indexed grantId,
        uint256 indexed datasetId,
        uint256 indexed granteeId,
        uint256 expiresAt
    );
    /// @notice The dataset key, sealed to the grantee's X25519 key: only the grantee can open it.
    event KeyDelivered(uint256 indexed grantId, uint256 indexed granteeId, bytes sealedKey);
    /// @notice A use was recorded: the usage receipt. `amount` is what it paid (its price plus the time share due).
    event DataUsed(
        uint256 indexed grantId,
        uint256 indexed datasetId,
        uint256 indexed granteeId,
        Purpose purpose,
        bytes32 usageHash,
        uint256 usesLeft,
        uint256 amount
    );
    /// @notice The time share due so far was paid.
    event GrantSettled(uint256 indexed grantId, uint256 amount);
    /// @notice The grant (or request) ended; `refund` went back to the requester.
    event GrantEnded(uint256 indexed grantId, GrantState state, uint256 refund, string reason);
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice Registers a dataset owned by `ownerId`, which the caller must own or act for (Operator key).
    function registerDataset(
        uint256 ownerId,
        string calldata name,
        bytes32 contentHash,
        string calldata encryptedURI,
        Terms calldata terms,
        Payee[] calldata payees
    ) external returns (uint256 datasetId);

    /// @notice New terms, for requests made from now on. The owner (or its Operator key) only.
    function updateTerms(uint256 datasetId, Terms calldata terms) external;

    /// @notice Takes the dataset off the market: no new requests; existing grants run on. The owner only.
    function delist(uint256 datasetId) external;

    /// @notice Asks for access to a dataset for `granteeId` (which the caller must own or act for), escrowing the
    /// price from the caller: at most `payment`, which the caller must have approved.
    function requestAccess(
        uint256 datasetId,
        uint256 granteeId,
        Purpose purpose,
        uint256 duration,
        uint256 maxUses,
        uint256 payment
    ) external returns (uint256 grantId);

    /// @notice `requestAccess` with an ERC-2612 permit for `payment`.
    function requestAccessWithPermit(
        uint256 datasetId,
        uint256 granteeId,
        Purpose purpose,
        uint256 duration,
        uint256 maxUses,
        uint256 payment,
        Permits.Permit calldata permit
    ) external returns (uint256 grantId);

    /// @notice Approves a request: access runs from now for its duration. The owner (or its Operator key).
    function approve(uint256 grantId) external;

    /// @notice Rejects a request with a full refund. The owner (or its Operator key).
    function reject(uint256 grantId, string calldata reason) external;

    /// @notice Withdraws a request the owner has not answered within the response window, with a full refund. The
    /// requester only.
    function withdrawRequest(uint256 grantId) external;

    /// @notice Posts the dataset key sealed to the grantee's X25519 key. The owner (or its Operator key), once.
    function deliverKey(uint256 grantId, bytes calldata sealedKey) external;

    /// @notice Cancels a grant whose key was not delivered within the delivery window, with a full refund. The
    /// grantee (or its keys) only.
    function cancel(uint256 grantId) external;

    /// @notice Ends a grant at once: pays the time run so far and refunds the rest of the time and the uses not
    /// made. The owner (or its Operator key).
    function revoke(uint256 grantId) external;

    /// @notice Records one use of a grant for `purpose`, paying its price and the time share due. The grantee (or its
    /// Operator or Agent keys), or a market with the market role (the job market).
    function recordUse(uint256 grantId, Purpose purpose, bytes32 usageHash) external;

    /// @notice Pays the time share due; once the grant has expired, also refunds the uses not made and ends it.
    /// Anyone.
    function settle(uint256 grantId) external;

    /// @notice Sends the caller's earnings.
    function withdraw() external returns (uint256 amount);

    /// @notice Whether `granteeId` holds an active, unexpired, unrevoked grant with uses left to the dataset for
    /// `purpose`.
    function hasAccess(uint256 datasetId, uint256 granteeId, Purpose purpose) external view returns (bool);

    function dataset(uint256 datasetId) external view returns (Dataset memory);
    function payees(uint256 datasetId) external view returns (Payee[] memory);
    function grant(uint256 grantId) external view returns (Grant memory);
    /// @notice What the caller would pay for such a request now.
    function quote(uint256 datasetId, uint256 duration, uint256 maxUses) external view returns (uint256 price);
    /// @notice What `settle` would pay now.
    function due(uint256 grantId) external view returns (uint256);
    function earned(address account) external view returns (uint256);
    function datasetCount() external view returns (uint256);
    function grantCount() external view returns (uint256);
    function responseWindow() external view returns (uint256);
    function deliveryWindow() external view returns (uint256);
    function paymentToken() external view returns (address);
}
