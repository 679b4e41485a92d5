"""Run-time settings of the embedded reference server."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE_PATH = "/api/v1/d2s/external"


@dataclass(frozen=True)
class Settings:
    """Everything that can vary between two runs of the reference server.

    ``rate_limit`` requests are allowed per key in each fixed window of ``rate_window`` seconds.
    ``records`` multiplies the number of customers, stations and sessions of every tenant.
    ``size``, when set, replaces that multiplier by an absolute size: about ``size`` customers, stations
    and sessions for the primary tenant, a fifth of that for the other tenant (for benchmarks at 1k,
    10k, 100k records; see :func:`conformance.reference.data._profiles`).
    ``seed`` makes the data set and the demo keys reproducible.
    """

    rate_limit: int = 1000
    rate_window: float = 10.0
    records: int = 1
    size: int | None = None
    seed: int = 20261124
    base_path: str = DEFAULT_BASE_PATH

    def __post_init__(self) -> None:
        if self.rate_limit < 0:
            raise ValueError("rate_limit must be >= 0")
        if not self.rate_window > 0:
            raise ValueError("rate_window must be > 0")
        if self.records < 1:
            raise ValueError("records must be >= 1")
        if self.size is not None and self.size < 1:
            raise ValueError("size must be >= 1")
        if not self.base_path.startswith("/") or self.base_path.endswith("/"):
            raise ValueError("base_path must start with '/' and not end with '/'")
