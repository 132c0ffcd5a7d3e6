"""Where jobs live between requests: in memory only, or also in a SQLite file (`--state`).

The backend keeps every job in memory and writes the ones an operation changed, in one transaction,
so a restart with the same file finds them again. WAL and `synchronous=NORMAL` keep commits cheap.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any, Protocol

_UPSERT = "INSERT INTO jobs (id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record=excluded.record"


class JobStore(Protocol):
    def load(self) -> list[dict[str, Any]]: ...

    def write(self, records: Iterable[dict[str, Any]], deleted: Iterable[str]) -> None: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """Nothing survives the process."""

    def load(self) -> list[dict[str, Any]]:
        return []

    def write(self, records: Iterable[dict[str, Any]], deleted: Iterable[str]) -> None:
        return None

    def clear(self) -> None:
        return None

    def close(self) -> None:
        return None


class SqliteStore:
    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, record TEXT NOT NULL)")

    def load(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT record FROM jobs ORDER BY rowid").fetchall()
        return [json.loads(row[0]) for row in rows]

    def write(self, records: Iterable[dict[str, Any]], deleted: Iterable[str]) -> None:
        upserts = [(record["id"], json.dumps(record)) for record in records]
        removals = [(job_id,) for job_id in deleted]
        if not upserts and not removals:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(_UPSERT, upserts)
            self._db.executemany("DELETE FROM jobs WHERE id = ?", removals)
            self._db.execute("COMMIT")

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(path: str | None) -> JobStore:
    return SqliteStore(path) if path else MemoryStore()
