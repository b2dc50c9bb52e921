"""Readers of a dataset in one file: ``.npz`` arrays and ``.csv`` tables.

Both return the arrays :func:`vimax.data.arrays.prepare_arrays` takes (``x``,
``y``, and ``x_test``/``y_test`` when the file has them) and raise
:class:`~vimax.errors.DataError` naming the file on anything malformed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from vimax.errors import DataError

__all__ = ["read_npz", "read_csv", "NPZ_KEYS"]

# accepted names of the arrays in an .npz: vimax's own, then the Keras layout of mnist.npz
NPZ_KEYS = (("x", "y", "x_test", "y_test"), ("x_train", "y_train", "x_test", "y_test"))


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """``x`` (N, ...), ``y`` (N,) and optional ``x_test``, ``y_test`` (``x_train``/``y_train`` also do)."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: not an .npz archive (a single array?)")
        with archive:
            files = set(archive.files)
            names = next((n for n in NPZ_KEYS if {n[0], n[1]} <= files), None)
            if names is None:
                raise DataError(f"{path}: needs arrays x and y (optionally x_test and y_test); "
                                f"it holds {', '.join(sorted(files)) or 'none'}")
            arrays = {key: archive[name] for key, name in zip(("x", "y", "x_test", "y_test"), names)
                      if name in files}
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy's parser of a damaged file raises many kinds;
        # with allow_pickle=False none of them can come from running the file's code
        why = " ".join(str(exc).split())
        raise DataError(f"{path}: corrupt or unreadable .npz ({type(exc).__name__}: {why})") from exc
    return arrays


def _column(header: list[str], label_column: str | None, path: Path) -> int:
    if label_column is None:
        return len(header) - 1
    if label_column in header:
        return header.index(label_column)
    raise DataError(f"{path}: no column {label_column!r} for the labels; its columns: "
                    f"{', '.join(header)}")


def _labels(values: list[str]) -> np.ndarray:
    """Integer labels when every value is an integer, else the strings (class names)."""
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError:
        return np.array(values, dtype=str)


def read_csv(path: Path, label_column: str | None = None) -> dict[str, np.ndarray]:
    """``x`` (N, D) float64 features and ``y`` (N,) labels from a CSV file with a header row.

    The labels are in the column named ``label_column`` (None: the last column);
    every other column is a number. Labels that are all integers are class
    indices; otherwise they are class names.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: a BOM is not a name
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV ({type(exc).__name__}: {exc})") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]  # blank lines
    if len(rows) < 2 or len(rows[0]) < 2:
        raise DataError(f"{path}: needs a header row and data rows of at least 2 columns "
                        "(features and a label)")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    label = _column(header, label_column, path)
    features = [i for i in range(len(header)) if i != label]
    x = np.empty((len(body), len(features)), dtype=np.float64)
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(f"{path}:{line}: {len(row)} values, the header has {len(header)}")
        for j, i in enumerate(features):
            try:
                x[line - 2, j] = float(row[i])
            except ValueError:
                raise DataError(f"{path}:{line}: column {header[i]!r} holds {row[i]!r}, not a number"
                                ) from None
    return {"x": x, "y": _labels([row[label].strip() for row in body])}
