"""Which jobs a request names and which of them a page holds: the batch checks, the paging rules and the
task-list filters (v3 `JobFilter`, v5 `JobQuery`), with the errors DRS answers when a request breaks them.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_drs.emulator import exceptions as exc
from pulumi_drs.emulator import rules as r
from pulumi_drs.emulator.jobs import Job


@dataclass(frozen=True)
class Page:
    """SDK PageReq: page `cur_page` (from 1) of `per_page` items; 0 in either means every item."""

    cur_page: int = 1
    per_page: int = 5


@dataclass(frozen=True)
class JobFilter:
    """SDK QueryJobsReq: which tasks the task list answers, and which page of them."""

    page: Page = Page(1, 10)
    name: str | None = None
    """A task name, or up to 100 comma-separated task IDs."""
    db_use_type: str | None = None
    engine_type: str | None = None
    net_type: str | None = None
    status: str | None = None

    def check(self) -> None:
        if not self.db_use_type:  # API querying_tasks_of_a_tenant.rst: db_use_type is mandatory
            raise exc.ParameterEmpty("db_use_type cannot be empty.")
        _check_names(self.name, r.MAX_NAMED_JOBS)

    def selects(self, job: Job) -> bool:
        """By the facts a job keeps while it runs (type, name, id): whether the query is about it."""
        return (self.db_use_type is None or job.db_use_type == self.db_use_type) and _is_named(self.name, job)

    def matches(self, job: Job) -> bool:
        facts = [
            (self.db_use_type, job.db_use_type),
            (self.engine_type, r.engine_type(job.db_use_type)),
            (self.net_type, r.NET_TYPE),
            (self.status, job.status),
        ]
        if any(wanted is not None and wanted != fact for wanted, fact in facts):
            return False
        return _is_named(self.name, job)


@dataclass(frozen=True)
class JobQuery:
    """SDK v5 ListJobsRequest: which top-level tasks ListJobs answers, in which order, and which slice."""

    job_type: str | None
    """Required: `migration`, `sync`, `cloudDataGuard` (a job's db_use_type) or `replay` (none emulated)."""
    name: str | None = None
    """A task name or ID, or up to 10 comma-separated task IDs."""
    status: str | None = None
    engine_type: str | None = None
    net_type: str | None = None
    offset: int = 0
    limit: int = r.LIST_DEFAULT_LIMIT
    sort_key: str = "create_time"
    sort_dir: str = "desc"

    def check(self) -> None:
        if not self.job_type:  # GO ListJobsRequest: job_type is not optional; TF drs_jobs: Required
            raise exc.ParameterEmpty("job_type cannot be empty.")
        if self.job_type not in r.JOB_TYPES:
            raise exc.ParameterInvalid(f"job_type {self.job_type!r} is not one of {', '.join(r.JOB_TYPES)}.")
        _check_names(self.name, r.MAX_LISTED_IDS)
        if self.offset < 0 or self.limit < 1:
            raise exc.PageInvalid(f"Page invalid: offset={self.offset}, limit={self.limit}.")
        if self.limit > r.MAX_LIST_LIMIT:
            raise exc.PageOverLimit(f"limit {self.limit} is over the limit of {r.MAX_LIST_LIMIT}.")
        if self.sort_key not in _SORT_KEYS or self.sort_dir not in ("asc", "desc"):
            raise exc.ParameterInvalid(f"Cannot sort by {self.sort_key!r} {self.sort_dir!r}.")

    def selects(self, job: Job) -> bool:
        """By the facts a job keeps while it runs (type, name, id): whether the query is about it."""
        return job.db_use_type == self.job_type and _is_named(self.name, job)

    def matches(self, job: Job) -> bool:
        facts = [
            (self.status, job.status),
            (self.engine_type, r.engine_type_v5(job.db_use_type)),
            (self.net_type, r.NET_TYPE),
        ]
        return all(wanted is None or wanted == fact for wanted, fact in facts)

    def order(self, jobs: list[Job]) -> list[Job]:
        """Sorted by `sort_key` (SDK default create_time, desc); equal keys keep the order jobs were made in."""
        return sorted(jobs, key=_SORT_KEYS[self.sort_key], reverse=self.sort_dir == "desc")


_SORT_KEYS: dict[str, Callable[[Job], Any]] = {
    "name": lambda job: job.name,
    "status": lambda job: job.status,
    "create_time": lambda job: job.create_time,
    "net_type": lambda job: r.NET_TYPE,
    "job_direction": lambda job: job.job_direction,
    "pay_mode": lambda job: r.CHARGING_MODE,
}
"""SDK ListJobsRequest.sort_key: every documented key, each read from what the emulator knows of a job."""


@functools.lru_cache(maxsize=64)
def _names(name: str | None) -> tuple[str, ...]:
    """The IDs in a filter, parsed once per filter (a list request asks it of every task)."""
    return tuple(part.strip() for part in (name or "").split(",") if part.strip())


@functools.lru_cache(maxsize=64)
def _name_set(name: str) -> frozenset[str]:
    return frozenset(_names(name))


def _check_names(name: str | None, limit: int) -> None:
    if len(_names(name)) > limit:
        raise exc.ParameterInvalid(f"name names more than {limit} tasks.")


def _is_named(name: str | None, job: Job) -> bool:
    """No name, one of the comma-separated IDs, or the task's name. GUESS: a name matches exactly (no
    source says whether DRS matches names fuzzily)."""
    return not name or job.id in _name_set(name) or job.name == name


def check_batch(job_ids: Sequence[str]) -> list[str]:
    """The ids of a batch request: not empty (DRS.M00201), no id twice (DRS.M00301).

    GUESS: a repeated id fails the whole request, from API error_code.rst DRS.M00301 "There are duplicate
    %s in request" (HTTP 400)."""
    if not job_ids:
        raise exc.ParameterEmpty("jobs cannot be empty.")
    repeated = sorted(job_id for job_id, times in Counter(job_ids).items() if times > 1)
    if repeated:
        raise exc.DuplicateParameter(f"There are duplicate job_id in request: {', '.join(repeated)}.")
    return list(job_ids)


def window(count: int, page: Page, cap: int | None) -> tuple[int, int]:
    """(first index, size) of `page` over `count` items, at most `cap` items (None: no cap).

    SDK PageReq: cur_page 0 or per_page 0 gets every item; with per_page 0, cur_page may only be 0 or 1;
    per_page is 0 to 100. A page smaller than asked (cap) pages on with the smaller size, so a client
    walking pages sees every item."""
    if page.cur_page < 0 or page.per_page < 0:
        raise exc.PageInvalid(f"Page invalid: cur_page={page.cur_page}, per_page={page.per_page}.")
    if page.per_page > r.MAX_PER_PAGE:
        raise exc.PageOverLimit(f"per_page {page.per_page} is over the limit of {r.MAX_PER_PAGE}.")
    if page.per_page == 0 and page.cur_page > 1:
        raise exc.PageOverLimit(f"cur_page {page.cur_page} with per_page 0: only 0 or 1 is allowed.")
    if page.cur_page == 0 or page.per_page == 0:
        return 0, count if cap is None else min(count, cap)
    size = page.per_page if cap is None else min(page.per_page, cap)
    return (page.cur_page - 1) * size, size


def page_of(job_ids: list[str], page: Page, cap: int) -> list[str]:
    """The ids on `page`; a page past the last is DRS.M00211 (API querying_task_statuses_in_batches.rst:
    cur_page "cannot exceed the maximum number of pages")."""
    first, size = window(len(job_ids), page, cap)
    if first >= len(job_ids):
        raise exc.PageOverLimit(f"cur_page {page.cur_page} is past the last page.")
    return job_ids[first : first + size]
