// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Fourfold reputation registry
/// @notice Reputation that cannot be farmed without paying for it. The markets (accounts with the writer role)
/// record a receipt for every paid interaction between two identities; each side's owner may then give one piece of
/// feedback on the other, which the rater may revoke and the rated party may answer. Writers also record outcomes
/// (completed, refunded, slashed, challenge lost). `summary` answers in O(1) from aggregates kept on every write.
/// Certifiers (a role the admin manages) issue attestations with an expiry, which they can revoke; an attestation is
/// valid only while neither expired nor revoked.
interface IReputationRegistry {
    /// @notice What a writer records about an identity's conduct.
    enum Outcome {
        Completed,
        Refunded,
        Slashed,
        ChallengeLost
    }

    /// @notice A paid interaction between two identities, written by a market.
    /// @param fromId The paying side (a tenant, a data buyer, a job requester).
    /// @param toId The paid side (a farm, a data owner, a worker).
    /// @param amount The amount paid, saturated at 2^112-1; it weighs the feedback given against this receipt.
    /// @param fromRated Whether `fromId`'s owner has given feedback on `toId` against this receipt.
    /// @param toRated Whether `toId`'s owner has given feedback on `fromId` against this receipt.
    struct Receipt {
        uint64 fromId;
        uint64 toId;
        uint112 amount;
        bool fromRated;
        bool toRated;
    }

    /// @notice One piece of feedback.
    /// @param receiptId The receipt it was given against.
    /// @param raterId The identity that gave it.
    /// @param subjectId The identity it is about.
    /// @param score 0 to 100.
    /// @param revoked Whether the rater revoked it.
    /// @param tag What it is about (application-defined; zero for untagged).
    struct Feedback {
        uint64 receiptId;
        uint64 raterId;
        uint64 subjectId;
        uint8 score;
        bool revoked;
        bytes32 tag;
    }

    /// @notice The reputation of an identity for one feedback tag, and its outcome counters.
    /// @param count The number of feedbacks not revoked.
    /// @param averageScore Their plain average score times 100 (0 to 10,000), zero when `count` is zero.
    /// @param weightedAverageScore Their average score weighted by receipt amount, times 100; zero when
    /// `totalWeight` is zero.
    /// @param totalWeight The sum of their receipts' amounts.
    /// @param completed Outcomes recorded as Completed.
    /// @param refunded Outcomes recorded as Refunded.
    /// @param slashed Outcomes recorded as Slashed.
    /// @param challengesLost Outcomes recorded as ChallengeLost.
    struct Summary {
        uint64 count;
        uint256 averageScore;
        uint256 weightedAverageScore;
        uint256 totalWeight;
        uint64 completed;
        uint64 refunded;
        uint64 slashed;
        uint64 challengesLost;
    }

    /// @notice An attestation by a certifier about an identity.
    /// @param certifier Who issued it.
    /// @param issuedAt When it was issued.
    /// @param expiresAt When it expires; zero for never.
    /// @param revoked Whether it was revoked.
    /// @param subjectId The identity it is about.
    /// @param schema What it attests (e.g. keccak256("node-certified")).
    struct Attestation {
        address certifier;
        uint40 issuedAt;
        uint40 expiresAt;
        bool revoked;
        uint64 subjectId;
        bytes32 schema;
    }

    /// @notice Receipt parties must be two different, non-zero identities.
    /// @param fromId The paying side.
    /// @param toId The paid side.
    error ReputationInvalidParties(uint256 fromId, uint256 toId);

    /// @notice No receipt has this id.
    /// @param receiptId The id.
    error ReputationUnknownReceipt(uint256 receiptId);

    /// @notice The caller owns neither side of the receipt.
    /// @param receiptId The receipt.
    /// @param caller The caller.
    error ReputationNotParty(uint256 receiptId, address caller);

    /// @notice The caller owns both sides of the receipt: nobody rates themselves.
    /// @param receiptId The receipt.
    error ReputationSelfFeedback(uint256 receiptId);

    /// @notice This side already gave its one feedback against the receipt.
    /// @param receiptId The receipt.
    /// @param raterId The side that already rated.
    error ReputationAlreadyRated(uint256 receiptId, uint256 raterId);

    /// @notice A score is 0 to 100.
    /// @param score The rejected score.
    error ReputationInvalidScore(uint8 score);

    /// @notice No feedback has this id.
    /// @param feedbackId The id.
    error ReputationUnknownFeedback(uint256 feedbackId);

    /// @notice The caller does not own the identity this action needs (the rater to revoke, the subject to respond).
    /// @param identityId The identity.
    /// @param caller The caller.
    error ReputationNotIdentityOwner(uint256 identityId, address caller);

    /// @notice The feedback was already revoked.
    /// @param feedbackId The feedback.
    error ReputationFeedbackRevoked(uint256 feedbackId);

    /// @notice The subject is not an existing identity.
    /// @param subjectId The rejected subject.
    error ReputationUnknownSubject(uint256 subjectId);

    /// @notice An expiry must be zero (never) or in the future, and fit in 40 bits.
    /// @param expiresAt The rejected expiry.
    /// @param timestamp The current block timestamp.
    error ReputationInvalidExpiry(uint256 expiresAt, uint256 timestamp);

    /// @notice No attestation has this id.
    /// @param attestationId The id.
    error ReputationUnknownAttestation(uint256 attestationId);

    /// @notice Only the attestation's certifier or the admin may revoke it.
    /// @param attestationId The attestation.
    /// @param caller The caller.
    error ReputationNotAttester(uint256 attestationId, address caller);

    /// @notice The attestation was already revoked.
    /// @param attestationId The attestation.
    error ReputationAttestationRevoked(uint256 attestationId);

    /// @notice A writer recorded a paid interaction.
    /// @param receiptId The new receipt.
    /// @param fromId The paying side.
    /// @param toId The paid side.
    /// @param writer The market that wrote it.
    /// @param kind What was paid for (application-defined, e.g. the bytes32 string "lease").
    /// @param ref The market's reference (lease, grant or job id).
    /// @param amount The amount paid, in full.
    event ReceiptRecorded(
        uint256 indexed receiptId,
        uint256 indexed fromId,
        uint256 indexed toId,
        address writer,
        bytes32 kind,
        bytes32 ref,
        uint256 amount
    );

    /// @notice A writer added a further payment to a receipt.
    /// @param receiptId The receipt.
    /// @param amount The further amount paid, in full.
    /// @param weight The receipt's weight afterwards (its stored amount, which stops growing once a side rated).
    event ReceiptIncreased(uint256 indexed receiptId, uint256 amount, uint256 weight);

    /// @notice Feedback was given against a receipt.
    /// @param feedbackId The new feedback.
    /// @param receiptId The receipt.
    /// @param subjectId Whom it is about.
    /// @param raterId Who gave it.
    /// @param score 0 to 100.
    /// @param tag What it is about.
    /// @param uri Where the full feedback can be read.
    /// @param uriHash The hash of the document at `uri`.
    event FeedbackGiven(
        uint256 indexed feedbackId,
        uint256 indexed receiptId,
        uint256 indexed subjectId,
        uint256 raterId,
        uint8 score,
        bytes32 tag,
        string uri,
        bytes32 uriHash
    );

    /// @notice The rater revoked a feedback.
    /// @param feedbackId The feedback.
    /// @param subjectId Whom it was about.
    event FeedbackRevoked(uint256 indexed feedbackId, uint256 indexed subjectId);

    /// @notice The rated party responded to a feedback.
    /// @param feedbackId The feedback.
    /// @param responderId The rated identity.
    /// @param uri Where the response can be read.
    event FeedbackResponded(uint256 indexed feedbackId, uint256 indexed responderId, string uri);

    /// @notice A writer recorded an outcome about an identity.
    /// @param subjectId The identity.
    /// @param outcome What happened.
    /// @param ref The market's reference.
    /// @param writer The market that wrote it.
    event OutcomeRecorded(uint256 indexed subjectId, Outcome indexed outcome, bytes32 ref, address writer);

    /// @notice A certifier issued an attestation.
    /// @param attestationId The new attestation.
    /// @param subjectId Whom it is about.
    /// @param schema What it attests.
    /// @param certifier Who issued it.
    /// @param expiresAt When it expires; zero for never.
    /// @param dataHash A hash of the evidence.
    /// @param uri Where the evidence can be read.
    event Attested(
        uint256 indexed attestationId,
        uint256 indexed subjectId,
        bytes32 indexed schema,
        address certifier,
        uint256 expiresAt,
        bytes32 dataHash,
        string uri
    );

    /// @notice An attestation was revoked.
    /// @param attestationId The attestation.
    /// @param revoker The certifier or admin who revoked it.
    event AttestationRevoked(uint256 indexed attestationId, address revoker);

    /// @notice Records a paid interaction. Only writers (the markets).
    /// @param fromId The paying side.
    /// @param toId The paid side; not `fromId`.
    /// @param kind What was paid for.
    /// @param ref The market's reference.
    /// @param amount The amount paid.
    /// @return receiptId The new receipt.
    function recordReceipt(
        uint256 fromId,
        uint256 toId,
        bytes32 kind,
        bytes32 ref,
        uint256 amount
    ) external returns (uint256 receiptId);

    /// @notice Adds a further payment to a receipt (a lease's receipt grows with each settlement). Only writers.
    /// The amount counts towards the receipt's weight only while neither side has rated it: feedback weighs what was
    /// paid when it was given, and revoking it removes exactly that weight.
    /// @param receiptId The receipt.
    /// @param amount The further amount paid.
    function increaseReceipt(uint256 receiptId, uint256 amount) external;

    /// @notice Gives feedback against a receipt: by `fromId`'s owner on `toId`, or by `toId`'s owner on `fromId`;
    /// once per side.
    /// @param receiptId The receipt.
    /// @param score 0 to 100.
    /// @param tag What it is about (zero for untagged).
    /// @param uri Where the full feedback can be read (may be empty).
    /// @param uriHash The hash of the document at `uri` (may be zero).
    /// @return feedbackId The new feedback.
    function giveFeedback(
        uint256 receiptId,
        uint8 score,
        bytes32 tag,
        string calldata uri,
        bytes32 uriHash
    ) external returns (uint256 feedbackId);

    /// @notice Revokes a feedback. Only the rater's owner; it stops counting at once. The side cannot rate again.
    /// @param feedbackId The feedback.
    function revokeFeedback(uint256 feedbackId) external;

    /// @notice Answers a feedback. Only the rated identity's owner; may be called more than once.
    /// @param feedbackId The feedback.
    /// @param uri Where the response can be read.
    function respond(uint256 feedbackId, string calldata uri) external;

    /// @notice Records an outcome about an identity. Only writers.
    /// @param subjectId The identity.
    /// @param outcome What happened.
    /// @param ref The market's reference.
    function recordOutcome(uint256 subjectId, Outcome outcome, bytes32 ref) external;

    /// @notice Issues an attestation about an existing identity. Only certifiers. It becomes the subject's current
    /// attestation for the schema, the one `hasValid` checks.
    /// @param subjectId The identity.
    /// @param schema What it attests.
    /// @param expiresAt When it expires (zero for never; else in the future).
    /// @param dataHash A hash of the evidence.
    /// @param uri Where the evidence can be read.
    /// @return attestationId The new attestation.
    function attest(
        uint256 subjectId,
        bytes32 schema,
        uint64 expiresAt,
        bytes32 dataHash,
        string calldata uri
    ) external returns (uint256 attestationId);

    /// @notice Revokes an attestation. Only its certifier or the admin.
    /// @param attestationId The attestation.
    function revokeAttestation(uint256 attestationId) external;

    /// @notice The reputation of `subjectId` for feedback tagged `tag` (zero: untagged feedback), and its outcome
    /// counters. O(1).
    /// @param subjectId The identity.
    /// @param tag The tag.
    /// @return The summary.
    function summary(uint256 subjectId, bytes32 tag) external view returns (Summary memory);

    /// @notice Whether an attestation exists and is neither expired nor revoked.
    /// @param attestationId The attestation.
    /// @return True while it is valid.
    function isValid(uint256 attestationId) external view returns (bool);

    /// @notice Whether the subject's current attestation for the schema is valid.
    /// @param subjectId The identity.
    /// @param schema The schema.
    /// @return True while it is valid.
    function hasValid(uint256 subjectId, bytes32 schema) external view returns (bool);

    /// @notice The subject's current attestation for a schema (the latest issued), zero if none.
    /// @param subjectId The identity.
    /// @param schema The schema.
    /// @return The attestation id.
    function currentAttestation(uint256 subjectId, bytes32 schema) external view returns (uint256);

    /// @notice A receipt. Reverts with `ReputationUnknownReceipt` for an unknown id.
    /// @param receiptId The receipt.
    /// @return The receipt.
    function receipt(uint256 receiptId) external view returns (Receipt memory);

    /// @notice A feedback. Reverts with `ReputationUnknownFeedback` for an unknown id.
    /// @param feedbackId The feedback.
    /// @return The feedback.
    function feedback(uint256 feedbackId) external view returns (Feedback memory);

    /// @notice An attestation. Reverts with `ReputationUnknownAttestation` for an unknown id.
    /// @param attestationId The attestation.
    /// @return The attestation.
    function attestation(uint256 attestationId) external view returns (Attestation memory);

    /// @notice The number of receipts, feedbacks and attestations ever recorded; each id runs from 1 to its count.
    /// @return receipts The receipt count.
    /// @return feedbacks The feedback count.
    /// @return attestations The attestation count.
    function counts() external view returns (uint256 receipts, uint256 feedbacks, uint256 attestations);

    /// @notice The identity registry that owners are resolved through.
    /// @return The registry's address.
    function identityRegistry() external view returns (address);
}
