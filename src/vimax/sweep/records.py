"""The sweep's record of each run: ``<sweep dir>/records/<run id>.json``.

One file per run, written atomically and replaced when the run is tried again,
so a record is never duplicated and workers never write the same file. The run
folder stays the truth about what is finished (its metrics.json and
evaluation.json); a record says how the last attempt went: done or failed, why,
when, where and how long it took.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

from vimax.atomic import atomic_write_json

__all__ = ["RECORDS", "record_path", "write_record", "read_record", "read_records",
           "DONE", "FAILED"]

RECORDS = "records"
DONE, FAILED = "done", "failed"


def record_path(sweep_dir: str | Path, run_id: str) -> Path:
    return Path(sweep_dir) / RECORDS / f"{run_id}.json"


def write_record(sweep_dir: str | Path, record: dict[str, Any]) -> Path:
    """Write (or replace) the record of ``record["run_id"]`` atomically."""
    path = record_path(sweep_dir, record["run_id"])
    atomic_write_json(path, {**record, "host": record.get("host") or platform.node()})
    return path


def read_record(sweep_dir: str | Path, run_id: str) -> dict[str, Any] | None:
    """The run's record, or None when there is none (or it cannot be read)."""
    try:
        return json.loads(record_path(sweep_dir, run_id).read_text())
    except (OSError, ValueError):
        return None


def read_records(sweep_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Every readable record of a sweep folder, by run id."""
    folder = Path(sweep_dir) / RECORDS
    records = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and "run_id" in record:
            records[record["run_id"]] = record
    return records
