"""Sampling the records of a list across the whole data set, not only its first page.

A defect may sit in a few records deep in the data (3 % of the sessions with a negative
``energy_kwh``, a ``user_id`` that resolves to nothing): a suite that reads first pages never meets
them. :func:`sample_records` gathers, deduplicated by record id,

1. the first page of the list in its default order;
2. the extremes: page 1 of every sortable field of the resource (``x-resource.sort``) in every
   order, where the smallest, largest and null values of each field are;
3. random pages across the whole range, page numbers drawn from a :class:`random.Random` seeded from
   the run's seed (``--seed``: the same run samples the same pages), until the random pages alone
   hold ``n`` distinct records, or the data is exhausted.

A list that holds no more records than the sample would read (``n`` and the first page and the
extremes), and every list under ``--profile thorough`` (``n`` is None), is walked whole with the
largest page size instead: every record, in fewer requests.

How large ``n`` is (:func:`sample_size`). A defect present in a fraction ``p`` of the records is
missed by ``n`` records drawn at random with probability ``(1 - p) ** n`` (drawing without
replacement misses it even less often). For ``p = 3 %``:

- ``default``: ``0.97 ** n <= 0.05`` needs ``n >= ln 0.05 / ln 0.97 = 98.4``; ``n = 100`` misses it
  with probability ``0.97 ** 100 = 4.8 %`` (caught with probability >= 95 %);
- ``smoke``: ``0.97 ** n <= 0.20`` needs ``n >= ln 0.2 / ln 0.97 = 52.8``; ``n = 60`` misses it
  with probability ``0.97 ** 60 = 16 %`` (caught with probability >= 80 %);
- ``thorough``: every record.

Only the random pages count towards ``n``; the first page and the extremes come on top. Records on
one page are neighbours in the list's order, so the bound is exact for a defect spread
independently of that order (every 33rd id, a deleted customer's sessions) and optimistic for one
bunched in a run of neighbouring records: small pages (``n / 10`` records, :func:`random_pagesize`)
keep the sample spread over many places.

The suite's glue (:class:`RecordSampler`, :class:`DetailCache`) is shared by the test modules of a
run through session fixtures (``sampler``, ``sampled``, ``details`` in the suite's conftest): SES-01, ENV-01, REF-01, DET-01 and GEO-07 read one sample per list, and
REF-01 and GEO-07 resolve each distinct referenced id once. :func:`value_rule_violations` checks a
record against the value rules of the response schema the spec gives its items.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import jsonschema

from conformance.checks.records import detail_path
from conformance.contract.spec import Sort

#: Records the random pages must hold, per ``--profile`` (None: walk everything); see the module doc.
SAMPLE_SIZES: dict[str, int | None] = {"smoke": 60, "default": 100, "thorough": None}
#: The defect rate the sizes are chosen for, and the chance of catching it each profile promises.
DEFECT_RATE = 0.03
CATCH_PROBABILITY = {"smoke": 0.80, "default": 0.95}
#: Random pages that make up ``n`` records (their size is ``n / RANDOM_PAGES``).
RANDOM_PAGES = 10
#: Records read at each extreme (page 1 of one sort field in one order).
EXTREME_PAGESIZE = 5

#: ``fetch(query, page, pagesize) -> (evidence, items, total)``: one page of a list.
Fetch = Callable[[dict[str, Any], int, int], tuple[Any, list[dict[str, Any]], int]]


def sample_size(profile: str) -> int | None:
    """Records the random pages hold under ``profile`` (None: every record); an unknown profile
    samples like ``default``."""
    return SAMPLE_SIZES.get(profile, SAMPLE_SIZES["default"])


def miss_probability(n: int, rate: float = DEFECT_RATE) -> float:
    """The chance that ``n`` records drawn at random hold none of a defect present in ``rate`` of them."""
    return (1.0 - rate) ** n


def random_pagesize(n: int | None, max_pagesize: int) -> int:
    """The page size of the random pages: ``n`` records in about :data:`RANDOM_PAGES` pages."""
    if n is None:
        return max_pagesize
    return max(1, min(max_pagesize, math.ceil(n / RANDOM_PAGES)))


def extreme_queries(sort: Sort | None) -> list[dict[str, str]]:
    """A query per sortable field and order of ``x-resource.sort`` (none for a list without one)."""
    if not sort:
        return []
    return [{sort.sortby_param: name, sort.orderby_param: order}
            for name in sorted(sort.fields) for order in sort.orders]


def run_rng(seed: Any, *scope: Any) -> random.Random:
    """A generator seeded from the run's seed and ``scope`` (e.g. the operation id): the same run
    draws the same pages, another seed other ones."""
    return random.Random(":".join(str(part) for part in (seed, *scope)))


@dataclass
class Sample:
    """Distinct records of a list, where each was seen, and how they were gathered."""

    records: list[dict[str, Any]] = field(default_factory=list)
    #: the evidence (an Exchange in the suite) of the page each record was first seen on, by index
    evidence: list[Any] = field(default_factory=list)
    total: int = 0
    #: every record of the list was seen (a walk, or the random pages exhausted the data)
    complete: bool = False
    requests: int = 0
    #: distinct records on the random pages (the ``n`` of the module doc counts these)
    random_records: int = 0
    #: the random page numbers read, in the order read
    random_pages: list[int] = field(default_factory=list)
    _seen: set = field(default_factory=set, repr=False)

    def add(self, items: Iterable[dict[str, Any]], evidence: Any, key: Callable[[dict[str, Any]], Any]) -> set:
        """Add the records not seen yet; return the keys of all of ``items``."""
        keys = set()
        for item in items:
            k = _hashable(key(item)) if isinstance(item, dict) else None
            if k is None:  # a record without an id cannot be told apart: keep it
                self.records.append(item)
                self.evidence.append(evidence)
                continue
            keys.add(k)
            if k not in self._seen:
                self._seen.add(k)
                self.records.append(item)
                self.evidence.append(evidence)
        return keys

    def seen_on(self, record: dict[str, Any]) -> Any:
        """The evidence of the page ``record`` was first seen on."""
        for index, candidate in enumerate(self.records):
            if candidate is record:
                return self.evidence[index]
        return None


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def sample_records(fetch: Fetch, *, key: Callable[[dict[str, Any]], Any], n: int | None, rng: random.Random,
                   max_pagesize: int, orderings: Iterable[dict[str, Any]] = ()) -> Sample:
    """Records of one list, gathered as the module doc says; ``n`` None walks every page."""
    result = Sample()

    def read(query: dict[str, Any], page: int, size: int) -> tuple[int, set]:
        """Read one page; how many records it held, and their keys."""
        evidence, items, total = fetch(dict(query), page, size)
        result.requests += 1
        if result.requests == 1:
            result.total = total if isinstance(total, int) and total >= 0 else 0
        return len(items), result.add(items, evidence, key)

    orderings = list(orderings)
    size = random_pagesize(n, max_pagesize)
    read({}, 1, size)
    if n is None or result.total <= n + size + len(orderings) * min(size, EXTREME_PAGESIZE):
        if result.total > size:  # walk it whole, with the largest pages (page 1 again unless it was one)
            page = 2 if size == max_pagesize else 1
            while (page - 1) * max_pagesize < result.total and read({}, page, max_pagesize)[0]:
                page += 1
        result.complete = len(result.records) >= result.total
        return result
    for query in orderings:
        read(query, 1, min(size, EXTREME_PAGESIZE))
    pages = list(range(2, math.ceil(result.total / size) + 1))
    rng.shuffle(pages)
    on_random: set = set()
    for page in pages:
        if len(on_random) >= n:
            break
        result.random_pages.append(page)
        on_random |= read({}, page, size)[1]
    result.random_records = len(on_random)
    result.complete = len(result.records) >= result.total
    return result


# ------------------------------------------------------------------------------ value rules

def openapi_to_draft4(schema: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema draft 4 (whose boolean ``exclusiveMinimum`` is
    OpenAPI 3.0's): ``nullable: true`` admits null; vendor extensions and ``example`` are dropped."""
    if isinstance(schema, list):
        return [openapi_to_draft4(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: openapi_to_draft4(v) for k, v in schema.items()
           if not k.startswith("x-") and k not in ("example", "nullable", "description")}
    if "properties" in schema:
        out["properties"] = {name: openapi_to_draft4(s) for name, s in schema["properties"].items()}
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def value_rule_violations(schema: dict[str, Any], record: Any, limit: int = 5) -> list[tuple[str, str]]:
    """What ``record`` breaks of its (OpenAPI 3.0) item ``schema`` (types, bounds, enums, patterns,
    required members), as (requirement, what) pairs, the path first in each: a timestamp's form is
    ENV-02's, every other rule of the response schema ENV-01's (as for the every-response oracle)."""
    validator = jsonschema.Draft4Validator(openapi_to_draft4(schema))
    out = []
    for error in sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or "(record)"
        out.append(("ENV-02" if _is_timestamp_rule(error) else "ENV-01", f"{where.lstrip('.')}: {_short(error.message)}"))
        if len(out) >= limit:
            break
    return out


def _is_timestamp_rule(error: jsonschema.ValidationError) -> bool:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if schema.get("format") == "date-time":
        return True
    branches = schema.get("anyOf") or []
    return isinstance(error.instance, str) and any(isinstance(b, dict) and b.get("format") == "date-time"
                                                   for b in branches)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


# ------------------------------------------------------------------------ the suite's glue

class DetailCache:
    """Detail lookups by (operation, id), each fetched once per run and key."""

    def __init__(self, api: Any, spec: Any):
        self.api, self.spec = api, spec
        self._cache: dict[tuple[str, str], Any] = {}

    def get(self, operation_id: str, record_id: Any) -> Any:
        key = (operation_id, str(record_id))
        if key not in self._cache:
            self._cache[key] = self.api.get(detail_path(self.spec.operation(operation_id), record_id))
        return self._cache[key]

    def __len__(self) -> int:
        return len(self._cache)


class RecordSampler:
    """The run's sample of each list operation (with a base query: the geo list's point and
    radius), gathered once and shared; a sampling that broke a requirement raises the same
    violation to every test that reads it (they report blocked by it)."""

    def __init__(self, api: Any, envelope: Any, spec: Any, *, profile: str, seed: Any):
        self.api, self.envelope, self.spec = api, envelope, spec
        self.profile, self.seed = profile, seed
        self.n = sample_size(profile)
        self._samples: dict[tuple, Sample | BaseException] = {}

    def of(self, op: Any, base: dict[str, Any] | None = None, requirement_id: str = "PAGE-01") -> Sample:
        """The sample of ``op`` (with ``base`` added to every request). A valid request refused is
        ``requirement_id``'s fault (SORT-02's for a sort query)."""
        base = dict(base or {})
        cache_key = (op.operation_id, tuple(sorted((k, str(v)) for k, v in base.items())))
        if cache_key not in self._samples:
            try:
                self._samples[cache_key] = self._sample(op, base, requirement_id)
            except Exception as exc:  # noqa: BLE001 - a Violation, or a transport failure: the same for every reader
                self._samples[cache_key] = exc
        found = self._samples[cache_key]
        if isinstance(found, BaseException):
            raise found
        return found

    def _sample(self, op: Any, base: dict[str, Any], requirement_id: str) -> Sample:
        from conformance.inputs.pagination import fetch_page
        from conformance.checks.records import record_key

        sort = op.resource_view.sort if op.resource_view is not None else None

        def fetch(query: dict[str, Any], page: int, pagesize: int):
            blame = "SORT-02" if sort and sort.sortby_param in query else requirement_id
            # records are records: a page of another length is PAGE-03's to judge, not the sample's
            exchange, items, info = fetch_page(self.api, self.envelope, op, dict(base, **query), page, pagesize, blame,
                                               broken=[])
            return exchange, items, info["total"]

        return sample_records(fetch, key=record_key(op), n=self.n, rng=run_rng(self.seed, op.operation_id, *base),
                              max_pagesize=op.paging.max_pagesize, orderings=extreme_queries(sort))
