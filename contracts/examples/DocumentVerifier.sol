// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IJobConsumer, IJobMarket} from "../interfaces/IJobMarket.sol";

/// @title DocumentVerifier
/// @notice An example "intelligent contract": it acts on the text an OCR job read from a document. A claimant requests
/// an OCR job from the job market with this contract as its callback and the output inline, then opens a case on the
/// job with the reference the document must show (a policy or invoice number). When the job is final, the market
/// calls `onJobResult` with the OCR output (the canonical JSON `{"text":...}`, checked by the market against the hash
/// the workers signed) and the case is settled: Verified when the text contains the reference, Rejected otherwise,
/// Unreadable when the output was not given inline.
contract DocumentVerifier is IJobConsumer {
    enum CaseState {
        None,
        Open,
        Verified,
        Rejected,
        Unreadable
    }

    struct Case {
        address claimant;
        CaseState state;
        bytes32 outputHash;
        bytes ref;
    }

    /// @notice The fewest workers a job must ask for to settle a case.
    uint256 public constant MIN_REDUNDANCY = 2;
    /// @notice The most bytes a reference may have.
    uint256 public constant MAX_REFERENCE_BYTES = 64;

    IJobMarket public immutable market;
    /// @notice The OCR model whose jobs it accepts.
    uint256 public immutable ocrModelId;

    mapping(uint256 jobId => Case) private _cases;

    /// @notice The job is not an OCR job of the caller's with this contract as its callback, still Open (its results
    /// sealed) and asking for at least `MIN_REDUNDANCY` workers.
    error VerifierInvalidJob(uint256 jobId);
    /// @notice A reference of 0 or over `MAX_REFERENCE_BYTES` bytes.
    error VerifierInvalidReference();
    /// @notice A case is already open on the job.
    error VerifierCaseExists(uint256 jobId);
    /// @notice Only the job market calls back.
    error VerifierNotMarket(address caller);

    event CaseOpened(uint256 indexed jobId, address indexed claimant, bytes ref);
    event CaseSettled(uint256 indexed jobId, CaseState state, bytes32 outputHash);

    constructor(IJobMarket market_, uint256 ocrModelId_) {
        market = market_;
        ocrModelId = ocrModelId_;
    }

    /// @notice Opens a case on `jobId`, which the caller requested: the document must show `ref`.
    function open(uint256 jobId, bytes calldata ref) external {
        if (ref.length == 0 || ref.length > MAX_REFERENCE_BYTES) revert VerifierInvalidReference();
        if (_cases[jobId].state != CaseState.None) revert VerifierCaseExists(jobId);
        IJobMarket.Job memory j = market.job(jobId);
        // Only while the job is Open are its results sealed: nobody, the claimant included, knows the output yet. And
        // only a job run by at least two distinct workers, each staked and checked against the other, is evidence.
        if (
            j.requester != msg.sender ||
            j.callback != address(this) ||
            j.modelId != ocrModelId ||
            j.state != IJobMarket.JobState.Open ||
            j.redundancy < MIN_REDUNDANCY
        ) revert VerifierInvalidJob(jobId);
        _cases[jobId] = Case({claimant: msg.sender, state: CaseState.Open, outputHash: bytes32(0), ref: ref});
        emit CaseOpened(jobId, msg.sender, ref);
    }

    /// @inheritdoc IJobConsumer
    function onJobResult(uint256 jobId, bytes32 outputHash, bytes calldata inlineOutput) external {
        if (msg.sender != address(market)) revert VerifierNotMarket(msg.sender);
        Case storage c = _cases[jobId];
        if (c.state != CaseState.Open) return; // a job nobody opened a case on: nothing to act on
        CaseState state;
        if (inlineOutput.length == 0) state = CaseState.Unreadable;
        else state = _contains(inlineOutput, c.ref) ? CaseState.Verified : CaseState.Rejected;
        c.state = state;
        c.outputHash = outputHash;
        emit CaseSettled(jobId, state, outputHash);
    }

    /// @notice A case.
    function caseOf(uint256 jobId) external view returns (Case memory) {
        return _cases[jobId];
    }

    /// @dev Whether `needle` occurs in `haystack`: a plain scan, bounded by the market's 4 KiB inline output and the
    /// 64-byte reference.
    function _contains(bytes calldata haystack, bytes memory needle) private pure returns (bool) {
        uint256 n = needle.length;
        if (n > haystack.length) return false;
        bytes1 first = needle[0];
        for (uint256 i; i + n <= haystack.length; ++i) {
            if (haystack[i] != first) continue;
            if (keccak256(haystack[i:i + n]) == keccak256(needle)) return true;
        }
        return false;
    }
}
