// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SealableRoles} from "./access/SealableRoles.sol";
import {IDataMarket} from "./interfaces/IDataMarket.sol";
import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";
import {Permits} from "./libraries/Permits.sol";

/// @title DataMarket
/// @notice See {IDataMarket}.
/// @dev Money: the market holds every grant's unpaid escrow (its time share not yet paid plus its uses not yet
/// made, zero once it ends) and every account's unwithdrawn earnings, exactly. A grant's escrow is derived, not
/// stored: `timePrice - timePaid + usesLeft x pricePerUse` while it runs, so a use writes one slot of the grant.
contract DataMarket is SealableRoles, IDataMarket {
    using SafeERC20 for IERC20;

    /// @notice Markets (the job market) record uses of grants on their grantees' behalf.
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @notice The most payees a dataset's revenue is split among, besides its owner.
    uint256 public constant MAX_PAYEES = 8;
    /// @notice The longest access a dataset's terms may allow: five years.
    uint256 public constant MAX_GRANT_DURATION = 1_825 days;

    uint256 private constant BPS = 10_000;
    uint256 private constant MIN_WINDOW = 1 minutes;
    uint256 private constant MAX_WINDOW = 7 days;
    uint256 private constant MAX_TEXT_BYTES = 256;
    uint256 private constant MAX_NAME_BYTES = 64;
    /// @dev Bits 1 to 3: Training, Inference, Analytics.
    uint8 private constant ALL_PURPOSES = 0x0e;
    bytes32 private constant RECEIPT_KIND = "data";

    /// @dev A dataset as stored: the owner, listing and number of payees in one slot (what a payment reads), then the
    /// content hash and the terms.
    struct DatasetRecord {
        uint64 ownerId;
        bool listed;
        uint8 payeeCount;
        bytes32 contentHash;
        Terms terms;
    }

    /// @dev A grant as stored, in four slots: what every call checks; the time share and uses (the one slot a use
    /// writes); the per-use price, receipt and request time; and the requester. `deliveredAt` is when the key was
    /// delivered (zero: not yet): the time share is billed from then.
    struct GrantRecord {
        GrantState state;
        Purpose purpose;
        uint40 deliveredAt;
        uint40 expiresAt;
        uint32 duration;
        uint64 granteeId;
        uint64 datasetId;
        uint96 timePrice;
        uint96 timePaid;
        uint32 usesLeft;
        uint96 pricePerUse;
        uint64 receiptId;
        uint40 requestedAt;
        address requester;
    }

    IERC20 private immutable _token;
    IIdentityRegistry private immutable _identities;
    IReputationRegistry private immutable _reputation;
    uint256 private immutable _responseWindow;
    uint256 private immutable _deliveryWindow;

    uint256 private _datasetCount;
    uint256 private _grantCount;
    mapping(uint256 datasetId => DatasetRecord) private _datasets;
    mapping(uint256 datasetId => Payee[]) private _payees;
    mapping(uint256 grantId => GrantRecord) private _grants;
    /// @dev The grant `hasAccess` answers for: the latest one activated for the dataset, grantee and purpose.
    mapping(uint256 datasetId => mapping(uint256 granteeId => mapping(Purpose => uint256 grantId))) private _current;
    mapping(address account => uint256 amount) private _earned;

    /// @param token The payment token (FOLD).
    /// @param identities The identity registry owners and grantees belong to.
    /// @param reputation The reputation registry; this market needs its writer role.
    /// @param admin Grants the market role.
    /// @param responseWindow_ How long an owner has to answer a request before the requester may withdraw it.
    /// @param deliveryWindow_ How long an owner has to deliver the key before the grantee may cancel.
    constructor(
        address token,
        address identities,
        address reputation,
        address admin,
        uint256 responseWindow_,
        uint256 deliveryWindow_
    ) {
        if (responseWindow_ < MIN_WINDOW || responseWindow_ > MAX_WINDOW) {
            revert DataMarketInvalidParameter("responseWindow", responseWindow_);
        }
        if (deliveryWindow_ < MIN_WINDOW || deliveryWindow_ > MAX_WINDOW) {
            revert DataMarketInvalidParameter("deliveryWindow", deliveryWindow_);
        }
        _token = IERC20(token);
        _identities = IIdentityRegistry(identities);
        _reputation = IReputationRegistry(reputation);
        _responseWindow = responseWindow_;
        _deliveryWindow = deliveryWindow_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Datasets
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function registerDataset(
        uint256 ownerId,
        string calldata name,
        bytes32 contentHash,
        string calldata encryptedURI,
        Terms calldata terms,
        Payee[] calldata payees_
    ) external returns (uint256 datasetId) {
        _requireOwnerSide(ownerId);
        uint256 uriLength = bytes(encryptedURI).length;
        uint256 nameLength = bytes(name).length;
        if (
            nameLength == 0 ||
            nameLength > MAX_NAME_BYTES ||
            contentHash == bytes32(0) ||
            uriLength == 0 ||
            uriLength > MAX_TEXT_BYTES
        ) revert DataInvalidDataset();
        _requireTerms(terms);
        if (payees_.length > MAX_PAYEES) revert DataInvalidSplit();
        uint256 shares;
        for (uint256 i; i < payees_.length; ++i) {
            Payee calldata payee = payees_[i];
            if (payee.account == address(0) || payee.bps == 0) revert DataInvalidSplit();
            shares += payee.bps;
        }
        if (shares > BPS) revert DataInvalidSplit();

        datasetId = ++_datasetCount;
        _datasets[datasetId] = DatasetRecord({
            ownerId: SafeCast.toUint64(ownerId),
            listed: true,
            payeeCount: uint8(payees_.length),
            contentHash: contentHash,
            terms: terms
        });
        for (uint256 i; i < payees_.length; ++i) _payees[datasetId].push(payees_[i]);
        emit DatasetRegistered(datasetId, ownerId, name, contentHash, encryptedURI, terms, payees_);
    }

    /// @inheritdoc IDataMarket
    function updateTerms(uint256 datasetId, Terms calldata terms) external {
        _requireOwnerSide(_requireDataset(datasetId).ownerId);
        _requireTerms(terms);
        _datasets[datasetId].terms = terms;
        emit TermsUpdated(datasetId, terms);
    }

    /// @inheritdoc IDataMarket
    function delist(uint256 datasetId) external {
        DatasetRecord storage d = _requireDataset(datasetId);
        _requireOwnerSide(d.ownerId);
        if (!d.listed) revert DataDatasetDelisted(datasetId);
        d.listed = false;
        emit DatasetDelisted(datasetId);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Requests
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function requestAccess(
        uint256 datasetId,
        uint256 granteeId,
        Purpose purpose,
        uint256 duration,
        uint256 maxUses,
        uint256 payment
    ) external returns (uint256) {
        return _request(datasetId, granteeId, purpose, duration, maxUses, payment);
    }

    /// @inheritdoc IDataMarket
    function requestAccessWithPermit(
        uint256 datasetId,
        uint256 granteeId,
        Purpose purpose,
        uint256 duration,
        uint256 maxUses,
        uint256 payment,
        Permits.Permit calldata permit
    ) external returns (uint256) {
        Permits.tryPermit(address(_token), msg.sender, payment, permit);
        return _request(datasetId, granteeId, purpose, duration, maxUses, payment);
    }

    function _request(
        uint256 datasetId,
        uint256 granteeId,
        Purpose purpose,
        uint256 duration,
        uint256 maxUses,
        uint256 payment
    ) private returns (uint256 grantId) {
        DatasetRecord storage d = _requireDataset(datasetId);
        if (!d.listed) revert DataDatasetDelisted(datasetId);
        _requireGranteeSide(granteeId);
        Terms memory terms = d.terms;
        if (purpose == Purpose.None || (uint256(terms.purposes) >> uint8(purpose)) & 1 == 0) {
            revert DataPurposeNotAllowed(datasetId, purpose);
        }
        if (duration == 0 || duration > terms.maxDuration) revert DataInvalidDuration(duration, terms.maxDuration);
        if (maxUses == 0 || maxUses > type(uint32).max) revert DataInvalidUses(maxUses);
        if (_identities.encryptionKeyOf(granteeId) == bytes32(0)) revert DataNoEncryptionKey(granteeId);
        (uint256 timePrice, uint256 price) = _price(terms, duration, maxUses);
        if (price > payment) revert DataPriceAboveMax(price, payment);

        grantId = ++_grantCount;
        GrantRecord storage g = _grants[grantId];
        g.state = GrantState.Requested;
        g.purpose = purpose;
        g.duration = uint32(duration);
        g.granteeId = SafeCast.toUint64(granteeId);
        g.datasetId = uint64(datasetId);
        g.timePrice = uint96(timePrice);
        g.usesLeft = uint32(maxUses);
        g.pricePerUse = terms.pricePerUse;
        g.requestedAt = uint40(block.timestamp);
        g.requester = msg.sender;
        emit AccessRequested(grantId, datasetId, granteeId, msg.sender, purpose, duration, maxUses, price);
        _token.safeTransferFrom(msg.sender, address(this), price);
        if (terms.autoApprove) _activate(grantId, g);
    }

    /// @inheritdoc IDataMarket
    function approve(uint256 grantId) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireOwnerSide(_datasets[g.datasetId].ownerId);
        _requireState(grantId, g.state, GrantState.Requested);
        _activate(grantId, g);
    }

    /// @inheritdoc IDataMarket
    function reject(uint256 grantId, string calldata reason) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireOwnerSide(_datasets[g.datasetId].ownerId);
        _requireState(grantId, g.state, GrantState.Requested);
        if (bytes(reason).length > MAX_TEXT_BYTES) revert DataInvalidText();
        _end(grantId, g, GrantState.Rejected, reason);
    }

    /// @inheritdoc IDataMarket
    function withdrawRequest(uint256 grantId) external {
        GrantRecord storage g = _requireGrant(grantId);
        if (g.requester != msg.sender) revert DataNotGrantee(grantId, msg.sender);
        _requireState(grantId, g.state, GrantState.Requested);
        uint256 respondBy = g.requestedAt + _responseWindow;
        if (block.timestamp < respondBy) revert DataResponsePending(grantId, respondBy);
        _end(grantId, g, GrantState.Withdrawn, "");
    }

    /// @dev Access runs from now for the grant's duration. One active grant per dataset, grantee and purpose.
    function _activate(uint256 grantId, GrantRecord storage g) private {
        uint256 datasetId = g.datasetId;
        uint256 granteeId = g.granteeId;
        Purpose purpose = g.purpose;
        uint256 current = _current[datasetId][granteeId][purpose];
        if (current != 0 && _live(_grants[current])) revert DataAccessAlreadyGranted(current);
        _current[datasetId][granteeId][purpose] = grantId;
        uint256 expiresAt = block.timestamp + g.duration;
        g.state = GrantState.Active;
        g.expiresAt = uint40(expiresAt);
        emit GrantApproved(grantId, datasetId, granteeId, expiresAt);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Keys
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function deliverKey(uint256 grantId, bytes calldata sealedKey) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireOwnerSide(_datasets[g.datasetId].ownerId);
        _requireState(grantId, g.state, GrantState.Active);
        if (g.deliveredAt != 0) revert DataKeyAlreadyDelivered(grantId);
        if (block.timestamp >= g.expiresAt) revert DataGrantExpired(grantId, g.expiresAt);
        if (sealedKey.length == 0 || sealedKey.length > MAX_TEXT_BYTES) revert DataInvalidText();
        g.deliveredAt = uint40(block.timestamp);
        emit KeyDelivered(grantId, g.granteeId, sealedKey);
    }

    /// @inheritdoc IDataMarket
    function cancel(uint256 grantId) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireGranteeSide(g.granteeId);
        _requireState(grantId, g.state, GrantState.Active);
        if (g.deliveredAt != 0) revert DataKeyAlreadyDelivered(grantId);
        uint256 deliverBy = g.expiresAt - g.duration + _deliveryWindow;
        if (block.timestamp < deliverBy) revert DataDeliveryPending(grantId, deliverBy);
        _end(grantId, g, GrantState.Cancelled, "");
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Using, paying and ending
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function recordUse(uint256 grantId, Purpose purpose, bytes32 usageHash) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireState(grantId, g.state, GrantState.Active);
        uint256 granteeId = g.granteeId;
        if (!_controls(granteeId, msg.sender, true) && !hasRole(MARKET_ROLE, msg.sender)) {
            revert DataNotGrantee(grantId, msg.sender);
        }
        if (purpose != g.purpose) revert DataPurposeNotAllowed(grantId, purpose);
        uint256 expiresAt = g.expiresAt;
        if (block.timestamp >= expiresAt) revert DataGrantExpired(grantId, expiresAt);
        if (g.deliveredAt == 0) revert DataKeyNotDelivered(grantId);
        uint256 usesLeft = g.usesLeft;
        if (usesLeft == 0) revert DataGrantUsedUp(grantId);
        unchecked {
            --usesLeft;
        }
        g.usesLeft = uint32(usesLeft);
        uint256 amount = g.pricePerUse + _payTime(g);
        emit DataUsed(grantId, g.datasetId, granteeId, purpose, usageHash, usesLeft, amount);
        _pay(grantId, g, amount);
    }

    /// @inheritdoc IDataMarket
    function settle(uint256 grantId) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireState(grantId, g.state, GrantState.Active);
        uint256 amount = _payTime(g);
        if (amount != 0) {
            emit GrantSettled(grantId, amount);
            _pay(grantId, g, amount);
        }
        if (block.timestamp >= g.expiresAt) _end(grantId, g, GrantState.Expired, "");
    }

    /// @inheritdoc IDataMarket
    function revoke(uint256 grantId) external {
        GrantRecord storage g = _requireGrant(grantId);
        _requireOwnerSide(_datasets[g.datasetId].ownerId);
        _requireState(grantId, g.state, GrantState.Active);
        if (block.timestamp >= g.expiresAt) revert DataGrantExpired(grantId, g.expiresAt);
        uint256 amount = _payTime(g);
        if (amount != 0) {
            emit GrantSettled(grantId, amount);
            _pay(grantId, g, amount);
        }
        _end(grantId, g, GrantState.Revoked, "");
    }

    /// @inheritdoc IDataMarket
    function withdraw() external returns (uint256 amount) {
        amount = _earned[msg.sender];
        if (amount == 0) revert DataNothingToWithdraw(msg.sender);
        _earned[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @dev Marks the time share due as paid and returns it: nothing before the key is delivered; after, the share of
    /// the grant's time from the delivery to now (or its expiry), rounded down, less what was paid. The time between
    /// approval and delivery, when the grantee could not use the data, is never paid: it is refunded at the end.
    function _payTime(GrantRecord storage g) private returns (uint256 amount) {
        amount = _timeDue(g);
        if (amount != 0) g.timePaid += uint96(amount);
    }

    function _timeDue(GrantRecord storage g) private view returns (uint256) {
        uint256 deliveredAt = g.deliveredAt;
        if (deliveredAt == 0) return 0;
        uint256 expiresAt = g.expiresAt;
        uint256 end = block.timestamp < expiresAt ? block.timestamp : expiresAt;
        return (uint256(g.timePrice) * (end - deliveredAt)) / g.duration - g.timePaid;
    }

    /// @dev Credits `amount` to the dataset's payees (each its share, rounded down) and its owner (the rest), and
    /// grows the grant's receipt. A free use pays nothing and records no receipt: "no receipt, no feedback" must cost
    /// something.
    function _pay(uint256 grantId, GrantRecord storage g, uint256 amount) private {
        uint256 datasetId = g.datasetId;
        DatasetRecord storage d = _datasets[datasetId];
        uint256 ownerId = d.ownerId;
        uint256 count = d.payeeCount;
        uint256 rest = amount;
        for (uint256 i; i < count; ++i) {
            Payee memory payee = _payees[datasetId][i];
            uint256 share = (amount * payee.bps) / BPS;
            _earned[payee.account] += share;
            rest -= share;
        }
        _earned[_identities.ownerOf(ownerId)] += rest;
        uint256 granteeId = g.granteeId;
        if (granteeId == ownerId || amount == 0) return; // Nobody rates themselves, or a free use.
        uint256 receiptId = g.receiptId;
        if (receiptId == 0) {
            g.receiptId = uint64(_reputation.recordReceipt(granteeId, ownerId, RECEIPT_KIND, bytes32(grantId), amount));
        } else {
            _reputation.increaseReceipt(receiptId, amount);
        }
    }

    /// @dev Ends the grant in `state` and refunds its escrow (all of it unless time or uses were paid) to the
    /// requester.
    function _end(uint256 grantId, GrantRecord storage g, GrantState state, string memory reason) private {
        uint256 refund = g.timePrice - g.timePaid + uint256(g.usesLeft) * g.pricePerUse;
        g.state = state;
        g.usesLeft = 0;
        g.timePaid = g.timePrice;
        emit GrantEnded(grantId, state, refund, reason);
        if (refund != 0) _token.safeTransfer(g.requester, refund);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IDataMarket
    function hasAccess(uint256 datasetId, uint256 granteeId, Purpose purpose) external view returns (bool) {
        uint256 grantId = _current[datasetId][granteeId][purpose];
        return grantId != 0 && _live(_grants[grantId]);
    }

    /// @inheritdoc IDataMarket
    function dataset(uint256 datasetId) external view returns (Dataset memory) {
        DatasetRecord storage d = _requireDataset(datasetId);
        return Dataset({ownerId: d.ownerId, listed: d.listed, contentHash: d.contentHash, terms: d.terms});
    }

    /// @inheritdoc IDataMarket
    function payees(uint256 datasetId) external view returns (Payee[] memory) {
        _requireDataset(datasetId);
        return _payees[datasetId];
    }

    /// @inheritdoc IDataMarket
    function grant(uint256 grantId) external view returns (Grant memory) {
        GrantRecord storage g = _requireGrant(grantId);
        return
            Grant({
                datasetId: g.datasetId,
                granteeId: g.granteeId,
                requester: g.requester,
                state: g.state,
                purpose: g.purpose,
                keyDelivered: g.deliveredAt != 0,
                deliveredAt: g.deliveredAt,
                requestedAt: g.requestedAt,
                duration: g.duration,
                expiresAt: g.expiresAt,
                usesLeft: g.usesLeft,
                pricePerUse: g.pricePerUse,
                timePrice: g.timePrice,
                timePaid: g.timePaid,
                receiptId: g.receiptId
            });
    }

    /// @inheritdoc IDataMarket
    function quote(uint256 datasetId, uint256 duration, uint256 maxUses) external view returns (uint256 price) {
        (, price) = _price(_requireDataset(datasetId).terms, duration, maxUses);
    }

    /// @inheritdoc IDataMarket
    function due(uint256 grantId) external view returns (uint256) {
        GrantRecord storage g = _requireGrant(grantId);
        return g.state == GrantState.Active ? _timeDue(g) : 0;
    }

    /// @inheritdoc IDataMarket
    function earned(address account) external view returns (uint256) {
        return _earned[account];
    }

    /// @inheritdoc IDataMarket
    function datasetCount() external view returns (uint256) {
        return _datasetCount;
    }

    /// @inheritdoc IDataMarket
    function grantCount() external view returns (uint256) {
        return _grantCount;
    }

    /// @inheritdoc IDataMarket
    function responseWindow() external view returns (uint256) {
        return _responseWindow;
    }

    /// @inheritdoc IDataMarket
    function deliveryWindow() external view returns (uint256) {
        return _deliveryWindow;
    }

    /// @inheritdoc IDataMarket
    function paymentToken() external view returns (address) {
        return address(_token);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Active, unexpired and with uses left (revoked and ended grants are no longer Active).
    function _live(GrantRecord storage g) private view returns (bool) {
        return g.state == GrantState.Active && block.timestamp < g.expiresAt && g.usesLeft != 0;
    }

    /// @dev The time share, rounded up to the base unit, and the whole price.
    function _price(
        Terms memory terms,
        uint256 duration,
        uint256 maxUses
    ) private pure returns (uint256 timePrice, uint256 price) {
        timePrice = Math.mulDiv(terms.pricePerDay, duration, 1 days, Math.Rounding.Ceil);
        price = timePrice + uint256(terms.pricePerUse) * maxUses;
        if (price > type(uint96).max) revert DataPriceTooHigh(price);
    }

    function _requireTerms(Terms calldata terms) private pure {
        if (
            terms.maxDuration < MIN_WINDOW ||
            terms.maxDuration > MAX_GRANT_DURATION ||
            terms.purposes == 0 ||
            terms.purposes & ~ALL_PURPOSES != 0
        ) revert DataInvalidTerms();
    }

    /// @dev The identity's owner or one of its active Operator keys: the owner's side of a dataset.
    function _requireOwnerSide(uint256 identityId) private view {
        if (!_controls(identityId, msg.sender, false)) revert DataNotIdentityController(identityId, msg.sender);
    }

    /// @dev The identity's owner or one of its active Operator or Agent keys: the grantee's side.
    function _requireGranteeSide(uint256 identityId) private view {
        if (!_controls(identityId, msg.sender, true)) revert DataNotIdentityController(identityId, msg.sender);
    }

    function _controls(uint256 identityId, address caller, bool agents) private view returns (bool) {
        if (_identities.ownerOf(identityId) == caller) return true;
        if (_identities.isActiveKey(caller, identityId, IIdentityRegistry.KeyPurpose.Operator)) return true;
        return agents && _identities.isActiveKey(caller, identityId, IIdentityRegistry.KeyPurpose.Agent);
    }

    function _requireDataset(uint256 datasetId) private view returns (DatasetRecord storage d) {
        d = _datasets[datasetId];
        if (d.ownerId == 0) revert DataUnknownDataset(datasetId);
    }

    function _requireGrant(uint256 grantId) private view returns (GrantRecord storage g) {
        g = _grants[grantId];
        if (g.state == GrantState.None) revert DataUnknownGrant(grantId);
    }

    function _requireState(uint256 grantId, GrantState state, GrantState wanted) private pure {
        if (state != wanted) revert DataWrongState(grantId, state);
    }
}
