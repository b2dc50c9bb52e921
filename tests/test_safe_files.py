"""Reading untrusted files runs nothing and writes nothing outside its folder."""

from __future__ import annotations

import io
import os
import pickle
import stat
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from payloads import CodePayload as _Code
from payloads import EvalPayload as _Eval
from payloads import Plain
from payloads import SystemPayload as _System

from vimax.atomic import atomic_save_checkpoint, atomic_write_json, atomic_write_text
from vimax.errors import CheckpointError, DataError
from vimax.safe_files import load_checkpoint, safe_extract_tar, safe_unpickle

# ---------------------------------------------------------------- unpickling


@pytest.mark.parametrize("payload", [_System, _Eval, _Code])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, payload, protocol):
    marker = tmp_path / "pwned"
    blob = pickle.dumps({b"data": np.zeros((1, 3), np.uint8), b"x": payload(marker)}, protocol)
    with pytest.raises(DataError, match="refused to load: the pickle asks for") as info:
        safe_unpickle(blob, "evil.pkl")
    assert "evil.pkl" in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_refusal_names_the_global(tmp_path):
    with pytest.raises(DataError, match=r"asks for (__builtin__|builtins)\.eval"):
        safe_unpickle(pickle.dumps(_Eval(tmp_path / "m"), 2), "x")
    with pytest.raises(DataError, match=r"asks for (posix|os|nt)\.system"):
        safe_unpickle(pickle.dumps(_System(tmp_path / "m"), 2), "x")


@pytest.mark.parametrize("protocol", [2, 4])
def test_numpy_batch_round_trips(protocol):
    data = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    batch = {b"data": data, b"labels": [3, 9], b"batch_label": b"b", b"filenames": [b"a", b""]}
    out = safe_unpickle(io.BytesIO(pickle.dumps(batch, protocol)), "ok")
    assert out[b"labels"] == [3, 9] and out[b"filenames"] == [b"a", b""]
    np.testing.assert_array_equal(out[b"data"], data)


def test_python2_style_pickle_loads():
    """numpy 1.x module names and Python 2 byte strings, as in the official CIFAR batches."""
    blob = pickle.dumps(np.array([[1, 2, 3]], np.uint8), 2)
    old = blob.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert old != blob or b"numpy.core.multiarray" in blob
    np.testing.assert_array_equal(safe_unpickle(old, "old"), [[1, 2, 3]])
    # SHORT_BINSTRING 'U' (a Python 2 str) decodes to bytes under encoding="bytes".
    assert safe_unpickle(b"\x80\x02}q\x00U\x06labelsq\x01K\x07s.", "py2") == {b"labels": 7}


def test_codecs_encode_only_latin1():
    blob = b"\x80\x02c_codecs\nencode\nq\x00X\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R."
    with pytest.raises(DataError, match="corrupt"):
        safe_unpickle(blob, "x")


def test_truncated_pickle_is_a_data_error():
    blob = pickle.dumps({b"data": np.zeros((10, 3072), np.uint8)}, 2)
    with pytest.raises(DataError, match="corrupt or truncated"):
        safe_unpickle(blob[: len(blob) // 2], "half.pkl")


# ---------------------------------------------------------------- tarballs


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode="w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _bad_members(tmp_path: Path) -> dict[str, list]:
    outside = str(tmp_path / "outside")
    return {
        "dotdot": [_file("ok.txt"), _file("../evil")],
        "nested_dotdot": [_file("a/../../evil")],
        "absolute": [_file(str(tmp_path / "evil"))],
        "symlink_out": [_link("link", "../..", tarfile.SYMTYPE), _file("link/evil")],
        "symlink_abs": [_link("link", outside, tarfile.SYMTYPE), _file("link/evil")],
        "hardlink_out": [_link("hard", "../evil", tarfile.LNKTYPE)],
        "device": [_link("dev", "", tarfile.CHRTYPE)],
    }


@pytest.mark.parametrize(
    "case",
    ["dotdot", "nested_dotdot", "absolute", "symlink_out", "symlink_abs", "hardlink_out", "device"],
)
def test_dangerous_members_are_refused(tmp_path, case):
    (tmp_path / "outside").mkdir()
    members = _bad_members(tmp_path)[case]
    tar = _tar(tmp_path / "bad.tar.gz", members)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(DataError, match="refused") as info:
        safe_extract_tar(tar, work / "dest", "bad.tar.gz")
    refused = {"symlink_out": "link", "symlink_abs": "link"}.get(case, members[-1][0].name)
    assert "\n" not in str(info.value) and repr(refused) in str(info.value)
    assert not (tmp_path / "evil").exists() and not (tmp_path.parent / "evil").exists()
    assert list((tmp_path / "outside").iterdir()) == []
    assert list(work.iterdir()) == []  # no final folder, no temporary folder


def test_good_tarball_extracts_atomically(tmp_path):
    members = [_file("top/a.txt", b"hello"), _file("top/sub/b.bin", b"\x00\x01"),
               _link("top/sub/alias", "../a.txt", tarfile.SYMTYPE)]
    tar = _tar(tmp_path / "good.tar", members, mode="w")
    dest = safe_extract_tar(tar, tmp_path / "out" / "dest")
    assert (dest / "top" / "a.txt").read_bytes() == b"hello"
    assert (dest / "top" / "sub" / "b.bin").read_bytes() == b"\x00\x01"
    assert (dest / "top" / "sub" / "alias").read_bytes() == b"hello"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["dest"]
    with pytest.raises(DataError, match="exists already"):
        safe_extract_tar(tar, dest)


def test_the_standard_data_filter_applies(tmp_path):
    """tarfile's "data" filter clears setuid/setgid/sticky and group/other write bits."""
    info, data = _file("top/tool", b"#!/bin/sh\n")
    info.mode = 0o6777
    dest = safe_extract_tar(_tar(tmp_path / "modes.tar", [(info, data)], mode="w"), tmp_path / "dest")
    assert stat.S_IMODE((dest / "top" / "tool").stat().st_mode) == 0o755


def test_a_refusal_of_the_data_filter_is_one_line(tmp_path, monkeypatch):
    """Whatever the standard filter refuses (here: everything) is a DataError naming the member."""
    def refuse(member, dest):
        raise tarfile.SpecialFileError(member)

    monkeypatch.setattr(tarfile, "data_filter", refuse)
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(DataError, match=r"refused member 'top/a.txt'") as info:
        safe_extract_tar(_tar(tmp_path / "t.tar", [_file("top/a.txt")], mode="w"), work / "dest")
    assert "\n" not in str(info.value) and list(work.iterdir()) == []


def test_truncated_tarball_is_a_data_error(tmp_path):
    rng = np.random.default_rng(0)
    members = [_file(f"d/{i}.bin", rng.bytes(20_000)) for i in range(5)]
    tar = _tar(tmp_path / "full.tar.gz", members)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tar.read_bytes()[: tar.stat().st_size // 2])
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(DataError, match="truncated or corrupt"):
        safe_extract_tar(cut, work / "dest")
    assert list(work.iterdir()) == []
    with pytest.raises(DataError):
        safe_extract_tar(tmp_path / "missing.tar.gz", work / "dest")


# ---------------------------------------------------------------- checkpoints


def test_state_dict_round_trips(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    state = {"model": model.state_dict(), "epoch": 7, "history": [0.5, float("nan")], "name": "x"}
    atomic_save_checkpoint(state, tmp_path / "ckpt.pt")
    loaded = load_checkpoint(tmp_path / "ckpt.pt")
    assert loaded["epoch"] == 7 and loaded["name"] == "x"
    for key, value in model.state_dict().items():
        assert torch.equal(loaded["model"][key], value)


@pytest.mark.parametrize("payload", [_System, _Eval, _Code, "plain"])
def test_checkpoint_with_code_or_objects_is_refused(tmp_path, payload):
    marker = tmp_path / "pwned"
    obj = Plain() if payload == "plain" else payload(marker)
    path = tmp_path / "evil.pt"
    torch.save({"weights": torch.ones(2), "extra": obj}, path)
    with pytest.raises(CheckpointError, match="not plain tensors/containers") as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value) and "refused" in str(info.value)
    assert not marker.exists()


def test_missing_or_truncated_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")
    path = tmp_path / "ckpt.pt"
    torch.save({"w": torch.randn(100, 100)}, path)
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- atomic writes


@pytest.mark.parametrize(
    "write",
    [
        lambda p: atomic_write_text(p, "new"),
        lambda p: atomic_write_json(p, {"new": [1, 2]}),
        lambda p: atomic_save_checkpoint({"w": torch.zeros(3)}, p),
    ],
    ids=["text", "json", "checkpoint"],
)
def test_failed_rename_keeps_previous_file(tmp_path, monkeypatch, write):
    path = tmp_path / "file"
    path.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write(path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_failed_write_keeps_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    atomic_save_checkpoint({"w": torch.ones(2)}, path)
    with pytest.raises(Exception):  # noqa: B017 - pickling a lambda fails inside torch.save
        atomic_save_checkpoint({"f": lambda: 0}, path)
    assert torch.equal(load_checkpoint(path)["w"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def test_atomic_writes_replace_content(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "one")
    atomic_write_text(tmp_path / "a.txt", "two")
    assert (tmp_path / "a.txt").read_text() == "two"
    atomic_write_json(tmp_path / "sub" / "b.json", {"x": 1.5, "n": float("nan")})
    import json

    assert json.loads((tmp_path / "sub" / "b.json").read_text()) == {"x": 1.5, "n": None}
