// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {SealableRoles} from "./access/SealableRoles.sol";
import {IReputationRegistry} from "./interfaces/IReputationRegistry.sol";

/// @title ReputationRegistry
/// @notice See {IReputationRegistry}.
contract ReputationRegistry is SealableRoles, IReputationRegistry {
    /// @notice The role of the markets, which record receipts and outcomes.
    bytes32 public constant WRITER_ROLE = keccak256("WRITER_ROLE");
    /// @notice The role of certifiers, which issue attestations.
    bytes32 public constant CERTIFIER_ROLE = keccak256("CERTIFIER_ROLE");

    uint8 private constant MAX_SCORE = 100;

    /// @dev Kept on every feedback and revocation so that `summary` is O(1). Two slots.
    struct Aggregate {
        uint64 count;
        uint64 scoreSum;
        uint128 weightSum;
        uint256 weightedScoreSum;
    }

    struct Outcomes {
        uint64 completed;
        uint64 refunded;
        uint64 slashed;
        uint64 challengesLost;
    }

    /// @dev One slot, so each write of a new record bumps one warm counter.
    struct Counts {
        uint64 receipts;
        uint64 feedbacks;
        uint64 attestations;
    }

    IERC721 private immutable _identities;
    Counts private _counts;
    mapping(uint256 receiptId => Receipt) private _receipts;
    mapping(uint256 feedbackId => Feedback) private _feedbacks;
    mapping(uint256 subjectId => mapping(bytes32 tag => Aggregate)) private _aggregates;
    mapping(uint256 subjectId => Outcomes) private _outcomes;
    mapping(uint256 attestationId => Attestation) private _attestations;
    mapping(uint256 subjectId => mapping(bytes32 schema => uint256 attestationId)) private _currentAttestations;

    /// @param identities The IdentityRegistry.
    /// @param admin Manages the writer and certifier roles (a TimelockController in real deployments).
    constructor(address identities, address admin) {
        _identities = IERC721(identities);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Receipts and feedback
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IReputationRegistry
    function recordReceipt(
        uint256 fromId,
        uint256 toId,
        bytes32 kind,
        bytes32 ref,
        uint256 amount
    ) external onlyRole(WRITER_ROLE) returns (uint256 receiptId) {
        if (fromId == 0 || toId == 0 || fromId == toId || fromId > type(uint64).max || toId > type(uint64).max) {
            revert ReputationInvalidParties(fromId, toId);
        }
        receiptId = ++_counts.receipts;
        _receipts[receiptId] = Receipt({
            fromId: uint64(fromId),
            toId: uint64(toId),
            amount: amount > type(uint112).max ? type(uint112).max : uint112(amount),
            fromRated: false,
            toRated: false
        });
        emit ReceiptRecorded(receiptId, fromId, toId, msg.sender, kind, ref, amount);
    }

    /// @inheritdoc IReputationRegistry
    function increaseReceipt(uint256 receiptId, uint256 amount) external onlyRole(WRITER_ROLE) {
        Receipt storage rec = _receipts[receiptId];
        if (rec.fromId == 0) revert ReputationUnknownReceipt(receiptId);
        uint256 weight = rec.amount;
        if (!rec.fromRated && !rec.toRated) {
            weight = amount > type(uint112).max - weight ? type(uint112).max : weight + amount;
            rec.amount = uint112(weight);
        }
        emit ReceiptIncreased(receiptId, amount, weight);
    }

    /// @inheritdoc IReputationRegistry
    function giveFeedback(
        uint256 receiptId,
        uint8 score,
        bytes32 tag,
        string calldata uri,
        bytes32 uriHash
    ) external returns (uint256 feedbackId) {
        if (score > MAX_SCORE) revert ReputationInvalidScore(score);
        (uint64 raterId, uint64 subjectId, uint256 weight) = _claimRating(receiptId);

        feedbackId = ++_counts.feedbacks;
        _feedbacks[feedbackId] = Feedback({
            receiptId: uint64(receiptId),
            raterId: raterId,
            subjectId: subjectId,
            score: score,
            revoked: false,
            tag: tag
        });
        Aggregate storage agg = _aggregates[subjectId][tag];
        ++agg.count;
        agg.scoreSum += score;
        agg.weightSum += uint128(weight);
        agg.weightedScoreSum += score * weight;
        emit FeedbackGiven(feedbackId, receiptId, subjectId, raterId, score, tag, uri, uriHash);
    }

    /// @inheritdoc IReputationRegistry
    function revokeFeedback(uint256 feedbackId) external {
        Feedback storage fb = _requireFeedback(feedbackId);
        uint256 raterId = fb.raterId;
        if (_identities.ownerOf(raterId) != msg.sender) revert ReputationNotIdentityOwner(raterId, msg.sender);
        if (fb.revoked) revert ReputationFeedbackRevoked(feedbackId);
        fb.revoked = true;

        uint256 subjectId = fb.subjectId;
        uint256 score = fb.score;
        uint256 weight = _receipts[fb.receiptId].amount;
        Aggregate storage agg = _aggregates[subjectId][fb.tag];
        --agg.count;
        agg.scoreSum -= uint64(score);
        agg.weightSum -= uint128(weight);
        agg.weightedScoreSum -= score * weight;
        emit FeedbackRevoked(feedbackId, subjectId);
    }

    /// @inheritdoc IReputationRegistry
    function respond(uint256 feedbackId, string calldata uri) external {
        uint256 subjectId = _requireFeedback(feedbackId).subjectId;
        if (_identities.ownerOf(subjectId) != msg.sender) revert ReputationNotIdentityOwner(subjectId, msg.sender);
        emit FeedbackResponded(feedbackId, subjectId, uri);
    }

    /// @inheritdoc IReputationRegistry
    function recordOutcome(uint256 subjectId, Outcome outcome, bytes32 ref) external onlyRole(WRITER_ROLE) {
        if (subjectId == 0) revert ReputationUnknownSubject(subjectId);
        Outcomes storage counters = _outcomes[subjectId];
        if (outcome == Outcome.Completed) ++counters.completed;
        else if (outcome == Outcome.Refunded) ++counters.refunded;
        else if (outcome == Outcome.Slashed) ++counters.slashed;
        else ++counters.challengesLost;
        emit OutcomeRecorded(subjectId, outcome, ref, msg.sender);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Attestations
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IReputationRegistry
    function attest(
        uint256 subjectId,
        bytes32 schema,
        uint64 expiresAt,
        bytes32 dataHash,
        string calldata uri
    ) external onlyRole(CERTIFIER_ROLE) returns (uint256 attestationId) {
        if (subjectId > type(uint64).max || !_exists(subjectId)) revert ReputationUnknownSubject(subjectId);
        if (expiresAt != 0 && (expiresAt <= block.timestamp || expiresAt > type(uint40).max)) {
            revert ReputationInvalidExpiry(expiresAt, block.timestamp);
        }
        attestationId = ++_counts.attestations;
        _attestations[attestationId] = Attestation({
            certifier: msg.sender,
            issuedAt: uint40(block.timestamp),
            expiresAt: uint40(expiresAt),
            revoked: false,
            subjectId: uint64(subjectId),
            schema: schema
        });
        _currentAttestations[subjectId][schema] = attestationId;
        emit Attested(attestationId, subjectId, schema, msg.sender, expiresAt, dataHash, uri);
    }

    /// @inheritdoc IReputationRegistry
    function revokeAttestation(uint256 attestationId) external {
        Attestation storage att = _attestations[attestationId];
        address certifier = att.certifier;
        if (certifier == address(0)) revert ReputationUnknownAttestation(attestationId);
        if (msg.sender != certifier && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert ReputationNotAttester(attestationId, msg.sender);
        }
        if (att.revoked) revert ReputationAttestationRevoked(attestationId);
        att.revoked = true;
        emit AttestationRevoked(attestationId, msg.sender);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IReputationRegistry
    function summary(uint256 subjectId, bytes32 tag) external view returns (Summary memory s) {
        Aggregate memory agg = _aggregates[subjectId][tag];
        Outcomes memory counters = _outcomes[subjectId];
        s.count = agg.count;
        if (agg.count != 0) s.averageScore = (uint256(agg.scoreSum) * 100) / agg.count;
        if (agg.weightSum != 0) s.weightedAverageScore = (agg.weightedScoreSum * 100) / agg.weightSum;
        s.totalWeight = agg.weightSum;
        s.completed = counters.completed;
        s.refunded = counters.refunded;
        s.slashed = counters.slashed;
        s.challengesLost = counters.challengesLost;
    }

    /// @inheritdoc IReputationRegistry
    function isValid(uint256 attestationId) public view returns (bool) {
        Attestation storage att = _attestations[attestationId];
        uint256 expiresAt = att.expiresAt;
        return att.certifier != address(0) && !att.revoked && (expiresAt == 0 || block.timestamp < expiresAt);
    }

    /// @inheritdoc IReputationRegistry
    function hasValid(uint256 subjectId, bytes32 schema) external view returns (bool) {
        return isValid(_currentAttestations[subjectId][schema]);
    }

    /// @inheritdoc IReputationRegistry
    function currentAttestation(uint256 subjectId, bytes32 schema) external view returns (uint256) {
        return _currentAttestations[subjectId][schema];
    }

    /// @inheritdoc IReputationRegistry
    function receipt(uint256 receiptId) external view returns (Receipt memory rec) {
        rec = _receipts[receiptId];
        if (rec.fromId == 0) revert ReputationUnknownReceipt(receiptId);
    }

    /// @inheritdoc IReputationRegistry
    function feedback(uint256 feedbackId) external view returns (Feedback memory) {
        return _requireFeedback(feedbackId);
    }

    /// @inheritdoc IReputationRegistry
    function attestation(uint256 attestationId) external view returns (Attestation memory att) {
        att = _attestations[attestationId];
        if (att.certifier == address(0)) revert ReputationUnknownAttestation(attestationId);
    }

    /// @inheritdoc IReputationRegistry
    function counts() external view returns (uint256 receipts, uint256 feedbacks, uint256 attestations) {
        Counts memory c = _counts;
        return (c.receipts, c.feedbacks, c.attestations);
    }

    /// @inheritdoc IReputationRegistry
    function identityRegistry() external view returns (address) {
        return address(_identities);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internal
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Marks the caller's side of the receipt as rated and returns who rates whom, and the receipt's weight.
    function _claimRating(uint256 receiptId) private returns (uint64 raterId, uint64 subjectId, uint256 weight) {
        Receipt storage rec = _receipts[receiptId];
        uint64 fromId = rec.fromId;
        if (fromId == 0) revert ReputationUnknownReceipt(receiptId);
        uint64 toId = rec.toId;
        bool ownsFrom = _identities.ownerOf(fromId) == msg.sender;
        bool ownsTo = _identities.ownerOf(toId) == msg.sender;
        if (ownsFrom && ownsTo) revert ReputationSelfFeedback(receiptId);
        if (ownsFrom) {
            if (rec.fromRated) revert ReputationAlreadyRated(receiptId, fromId);
            rec.fromRated = true;
            (raterId, subjectId) = (fromId, toId);
        } else if (ownsTo) {
            if (rec.toRated) revert ReputationAlreadyRated(receiptId, toId);
            rec.toRated = true;
            (raterId, subjectId) = (toId, fromId);
        } else {
            revert ReputationNotParty(receiptId, msg.sender);
        }
        weight = rec.amount;
    }

    function _requireFeedback(uint256 feedbackId) private view returns (Feedback storage fb) {
        fb = _feedbacks[feedbackId];
        if (fb.receiptId == 0) revert ReputationUnknownFeedback(feedbackId);
    }

    /// @dev Identities are never burned, so an identity exists if `ownerOf` answers.
    function _exists(uint256 identityId) private view returns (bool) {
        try _identities.ownerOf(identityId) returns (address) {
            return true;
        } catch {
            return false;
        }
    }
}
