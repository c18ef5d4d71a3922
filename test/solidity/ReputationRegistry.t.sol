// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {IdentityRegistry} from "../../contracts/IdentityRegistry.sol";
import {ReputationRegistry} from "../../contracts/ReputationRegistry.sol";
import {IReputationRegistry} from "../../contracts/interfaces/IReputationRegistry.sol";

/// @dev Drives the registry through random valid sequences and keeps every feedback in a ghost ledger.
contract ReputationHandler is Test {
    struct GhostFeedback {
        uint256 subjectId;
        bytes32 tag;
        uint256 score;
        uint256 weight;
        bool revoked;
    }

    uint256 public constant ACTORS = 4;
    bytes32[3] public tags = [bytes32(0), bytes32("uptime"), bytes32("quality")];

    IdentityRegistry public immutable identities;
    ReputationRegistry public immutable reputation;
    address[ACTORS] public actors;
    uint256[ACTORS] public ids;

    uint256 public receiptCount;
    mapping(uint256 receiptId => uint256[2] parties) public receiptParties;
    mapping(uint256 receiptId => uint256 weight) public receiptWeight;
    mapping(uint256 receiptId => bool[2] rated) internal _rated;
    GhostFeedback[] internal _ghost;

    constructor(IdentityRegistry identities_, ReputationRegistry reputation_) {
        identities = identities_;
        reputation = reputation_;
        string[ACTORS] memory handles = ["actor-a", "actor-b", "actor-c", "actor-d"];
        for (uint256 i; i < ACTORS; ++i) {
            actors[i] = makeAddr(handles[i]);
            vm.prank(actors[i]);
            ids[i] = identities.register(handles[i], "");
        }
    }

    function recordReceipt(uint256 fromSeed, uint256 toOffset, uint256 amount) external {
        uint256 from = fromSeed % ACTORS;
        uint256 to = (from + 1 + (toOffset % (ACTORS - 1))) % ACTORS;
        amount = bound(amount, 0, 1e30);
        uint256 receiptId = reputation.recordReceipt(ids[from], ids[to], "lease", bytes32(0), amount);
        receiptCount = receiptId;
        receiptParties[receiptId] = [from, to];
        receiptWeight[receiptId] = amount;
    }

    function giveFeedback(uint256 receiptSeed, bool fromSide, uint8 score, uint256 tagSeed) external {
        if (receiptCount == 0) return;
        uint256 receiptId = 1 + (receiptSeed % receiptCount);
        uint256 side = fromSide ? 0 : 1;
        if (_rated[receiptId][side]) return;
        score = uint8(bound(score, 0, 100));
        bytes32 tag = tags[tagSeed % tags.length];
        uint256 rater = receiptParties[receiptId][side];
        uint256 subject = receiptParties[receiptId][1 - side];

        vm.prank(actors[rater]);
        uint256 feedbackId = reputation.giveFeedback(receiptId, score, tag, "", bytes32(0));
        _rated[receiptId][side] = true;
        assertEq(feedbackId, _ghost.length + 1);
        _ghost.push(GhostFeedback(ids[subject], tag, score, receiptWeight[receiptId], false));
    }

    function revokeFeedback(uint256 feedbackSeed) external {
        if (_ghost.length == 0) return;
        uint256 index = feedbackSeed % _ghost.length;
        if (_ghost[index].revoked) return;
        IReputationRegistry.Feedback memory fb = reputation.feedback(index + 1);
        vm.prank(identities.ownerOf(fb.raterId));
        reputation.revokeFeedback(index + 1);
        _ghost[index].revoked = true;
    }

    /// @dev The aggregate recomputed from the ghost ledger's non-revoked feedback.
    function recompute(
        uint256 subjectId,
        bytes32 tag
    ) external view returns (uint256 count, uint256 scoreSum, uint256 weightSum, uint256 weightedSum) {
        for (uint256 i; i < _ghost.length; ++i) {
            GhostFeedback memory g = _ghost[i];
            if (g.revoked || g.subjectId != subjectId || g.tag != tag) continue;
            count += 1;
            scoreSum += g.score;
            weightSum += g.weight;
            weightedSum += g.score * g.weight;
        }
    }

    function feedbackCount() external view returns (uint256) {
        return _ghost.length;
    }
}

contract ReputationRegistryTest is Test {
    IdentityRegistry private identities;
    ReputationRegistry private reputation;
    ReputationHandler private handler;

    function setUp() public {
        identities = new IdentityRegistry();
        reputation = new ReputationRegistry(address(identities), address(this));
        handler = new ReputationHandler(identities, reputation);
        reputation.grantRole(reputation.WRITER_ROLE(), address(handler));
        reputation.grantRole(reputation.WRITER_ROLE(), address(this));
        targetContract(address(handler));
    }

    function testFuzz_giveFeedback_scoreBounds(uint8 score, uint256 amount) public {
        amount = bound(amount, 0, type(uint112).max);
        address payer = handler.actors(0);
        uint256 payerId = handler.ids(0);
        uint256 payeeId = handler.ids(1);
        uint256 receiptId = reputation.recordReceipt(payerId, payeeId, "lease", bytes32(0), amount);

        vm.prank(payer);
        if (score > 100) {
            vm.expectRevert(abi.encodeWithSelector(IReputationRegistry.ReputationInvalidScore.selector, score));
            reputation.giveFeedback(receiptId, score, "uptime", "", bytes32(0));
            assertEq(reputation.summary(payeeId, "uptime").count, 0);
            assertFalse(reputation.receipt(receiptId).fromRated);
        } else {
            reputation.giveFeedback(receiptId, score, "uptime", "", bytes32(0));
            IReputationRegistry.Summary memory s = reputation.summary(payeeId, "uptime");
            assertEq(s.count, 1);
            assertEq(s.averageScore, uint256(score) * 100);
            assertEq(s.totalWeight, amount);
            assertEq(s.weightedAverageScore, amount == 0 ? 0 : uint256(score) * 100);
        }
    }

    /// @notice `summary` always equals the aggregate recomputed from the feedback that is not revoked.
    function invariant_summaryEqualsRecomputedAggregate() public view {
        for (uint256 a; a < handler.ACTORS(); ++a) {
            uint256 subjectId = handler.ids(a);
            for (uint256 t; t < 3; ++t) {
                bytes32 tag = handler.tags(t);
                (uint256 count, uint256 scoreSum, uint256 weightSum, uint256 weightedSum) = handler.recompute(
                    subjectId,
                    tag
                );
                IReputationRegistry.Summary memory s = reputation.summary(subjectId, tag);
                assertEq(s.count, count, "count");
                assertEq(s.averageScore, count == 0 ? 0 : (scoreSum * 100) / count, "average");
                assertEq(s.totalWeight, weightSum, "weight");
                assertEq(s.weightedAverageScore, weightSum == 0 ? 0 : (weightedSum * 100) / weightSum, "weighted");
            }
        }
    }

    /// @notice Every feedback the handler gave exists, and nothing else does.
    function invariant_feedbackCountMatches() public view {
        (, uint256 feedbacks, ) = reputation.counts();
        assertEq(feedbacks, handler.feedbackCount());
    }
}
