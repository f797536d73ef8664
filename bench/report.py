"""What the benchmark measured, and the lines it prints beside issue 4's goals."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from bench.segments import size_label

# Issue 4, on a 2-core machine with the eight keys.
GOAL_10M_SECONDS = 300
GOAL_RATIO, AIM_RATIO = 5, 10
GOAL_PEAK_MIB = 512
# Share of the machine's CPU taken by other processes above which a run is flagged.
OTHER_WORK_WARNING = 0.10


@dataclass
class ExportOutcome:
    size: str
    rows: int
    variant: str
    wall_seconds: float
    run_seconds: float | None
    status: str
    rows_sent: int
    processes: int
    threads: int | None
    in_flight: int
    upload_requests: int
    failed_requests: int
    delay_seconds: float
    product_peak_mib: float
    product_peak_role: str
    azurite_peak_mib: float
    emulator_peak_mib: float
    cpu_seconds: dict
    cores: int
    audience: dict
    expected: dict = field(default_factory=dict)
    log: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.wall_seconds

    @property
    def exact(self) -> bool:
        return self.status == "succeeded" and self.audience == self.expected

    @property
    def observed_in_flight(self) -> float:
        """Mean upload requests in flight (Little's law): each spends the emulator's
        delay in flight, so delay seconds summed over the wall time is a floor."""
        return self.delay_seconds / self.wall_seconds


@dataclass
class SdkOutcome:
    rows: int
    seconds: float
    calls: int
    failed_calls: int
    num_received: int
    num_invalid_entries: int
    peak_mib: float
    cpu_seconds: dict
    wall_seconds: float
    audience: dict
    expected: dict

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


@dataclass
class Results:
    in_flight: int
    exports: list[ExportOutcome] = field(default_factory=list)
    sdk: SdkOutcome | None = None

    def add(self, outcome: ExportOutcome) -> None:
        self.exports.append(outcome)

    def find(self, rows: int, variant: str = "8 keys") -> ExportOutcome | None:
        for outcome in self.exports:
            if outcome.rows == rows and outcome.variant == variant:
                return outcome
        return None

    def ours_for_sdk(self) -> ExportOutcome | None:
        """Our export of the segment the SDK uploaded, with the same eight keys."""
        return self.find(self.sdk.rows) if self.sdk else None

    def all_exact(self) -> bool:
        return all(outcome.exact for outcome in self.exports)

    def as_dict(self) -> dict:
        return asdict(self)


def _mib(value: float) -> str:
    return f"{value:,.0f} MB"


def _audience(found: dict, expected: dict) -> str:
    verdict = "EXACT" if found == expected else "DIFFERENT"
    count, wanted = found.get("count", 0), expected.get("count", 0)
    if found == expected:
        return f"audience {verdict} ({count:,} members)"
    return f"audience {verdict} ({count:,} members, {wanted:,} expected)"


def _runner(outcome: ExportOutcome) -> str:
    threads = f"{outcome.threads}" if outcome.threads else "?"
    return f"runner {outcome.processes} processes x {threads} threads"


def export_line(outcome: ExportOutcome) -> str:
    first = (
        f"{outcome.size}, {outcome.variant}: {outcome.wall_seconds:.1f} s wall, "
        f"{outcome.rate:,.0f} profiles/s, peak {_mib(outcome.product_peak_mib)} "
        f"({outcome.product_peak_role}), "
        f"{_audience(outcome.audience, outcome.expected)}, run {outcome.status}"
    )
    run_log = f"{outcome.run_seconds:.1f} s" if outcome.run_seconds else "?"
    second = (
        f"    in flight: MAX_REQUESTS_IN_FLIGHT {outcome.in_flight}, "
        f"{_runner(outcome)}; {outcome.observed_in_flight:.1f} on average over "
        f"{outcome.upload_requests:,} upload requests ({outcome.failed_requests} "
        f"failed)"
    )
    third = (
        f"    peak Azurite {_mib(outcome.azurite_peak_mib)}, emulator "
        f"{_mib(outcome.emulator_peak_mib)}; run log {run_log}; "
        f"rows sent {outcome.rows_sent:,}; log {outcome.log}"
    )
    cpu = _cpu_line(outcome.cpu_seconds, outcome.wall_seconds, outcome.cores)
    return "\n".join((first, second, third, cpu))


def _cpu_line(seconds: dict, wall: float, cores: int) -> str:
    spent = ", ".join(f"{name} {value:.1f}" for name, value in seconds.items())
    line = f"    CPU seconds: {spent}"
    others = seconds.get("rest of machine", 0.0) / (wall * cores)
    if others > OTHER_WORK_WARNING:
        line += (
            f"\n    other work took {others:.0%} of the machine's CPU during this run:"
            " the figures above are pessimistic"
        )
    return line


def _ratio_verdict(ratio: float) -> str:
    if ratio >= AIM_RATIO:
        return "met, aim met"
    if ratio >= GOAL_RATIO:
        return "met, aim missed"
    return "missed"


def sdk_line(sdk: SdkOutcome, ours: ExportOutcome | None) -> str:
    first = (
        f"{size_label(sdk.rows)}, 8 keys, facebook_business SDK (add_users, 10,000 "
        f"rows a call, one after another): {sdk.seconds:.1f} s, "
        f"{sdk.rate:,.0f} profiles/s, peak {_mib(sdk.peak_mib)}"
    )
    second = (
        f"    {sdk.calls} calls, {sdk.failed_calls} failed; Meta received "
        f"{sdk.num_received:,}, invalid {sdk.num_invalid_entries:,}; "
        f"SDK {_audience(sdk.audience, sdk.expected)}"
    )
    cores = os.cpu_count() or 1
    lines = [first, second, _cpu_line(sdk.cpu_seconds, sdk.wall_seconds, cores)]
    if ours is not None:
        ratio = ours.rate / sdk.rate
        lines.append(
            f"    ours/SDK {ratio:.1f}x (goal >= {GOAL_RATIO}x, aim {AIM_RATIO}x: "
            f"{_ratio_verdict(ratio)}) with MAX_REQUESTS_IN_FLIGHT {ours.in_flight} "
            f"and {_runner(ours)} against the SDK's 1 request at a time"
        )
    return "\n".join(lines)


def _goal_10m(results: Results) -> str:
    ten = results.find(10_000_000)
    if ten is None:
        return "not measured"
    verdict = "met" if ten.wall_seconds <= GOAL_10M_SECONDS else "missed"
    return f"{ten.wall_seconds:.1f} s: {verdict}"


def _goal_ratio(results: Results) -> str:
    ours = results.ours_for_sdk()
    if results.sdk is None or ours is None:
        return "not measured"
    ratio = ours.rate / results.sdk.rate
    return f"{ratio:.1f}x: {_ratio_verdict(ratio)}"


def _goal_memory(results: Results) -> str:
    if not results.exports:
        return "not measured"
    figures = ", ".join(
        f"{o.size} {o.variant} {_mib(o.product_peak_mib)}" for o in results.exports
    )
    largest = max(o.product_peak_mib for o in results.exports)
    return f"{figures}: {'met' if largest <= GOAL_PEAK_MIB else 'missed'}"


def goals(results: Results, cores: int) -> str:
    return "\n".join(
        (
            f"goals (issue 4, for 2 cores; this machine has {cores}):",
            f"  10M end to end <= {GOAL_10M_SECONDS} s: {_goal_10m(results)}",
            f"  ours/SDK >= {GOAL_RATIO}x (aim {AIM_RATIO}x): {_goal_ratio(results)}",
            f"  largest product process <= {GOAL_PEAK_MIB} MB: {_goal_memory(results)}",
        )
    )
