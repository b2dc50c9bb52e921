"""CIFAR-10 from every supported layout, built tiny in tmp_path; nothing is downloaded."""

from __future__ import annotations

import os
import pickle
import struct
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import vimax.data.cifar10 as cifar10
import vimax.data.image_folder as image_folder
from vimax.data.base import DATASETS
from vimax.data.cifar10 import CLASSES, load_cifar10
from vimax.errors import DataError

PER_BATCH, PER_CLASS = 12, 3  # images per official batch; per class and split in image folders
# read before the autouse fixture below forgets the caller's VIMAX_DATA, so the real-data test finds it
CALLER_DATA = os.environ.get("VIMAX_DATA")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Point the cache at tmp_path and forget any VIMAX_DATA of the caller."""
    monkeypatch.setenv("VIMAX_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VIMAX_DATA", raising=False)


def _pixels(images: torch.Tensor) -> np.ndarray:
    return (images * 255).round().to(torch.uint8).numpy()


def _py2(obj: object) -> bytes:
    """Opcodes of a protocol-2 pickle as Python 2's cPickle wrote the official batches.

    Python 2 ``str`` (here: Python 3 ``str`` and ``bytes``) is a SHORT_BINSTRING or
    BINSTRING, read back as bytes under ``encoding="bytes"``; arrays name numpy 1.x's
    ``numpy.core.multiarray._reconstruct``.
    """
    if isinstance(obj, (str, bytes)):
        b = obj.encode() if isinstance(obj, str) else obj
        return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b
    if isinstance(obj, int):
        return b"K" + bytes([obj]) if 0 <= obj < 256 else b"J" + struct.pack("<i", obj)
    if isinstance(obj, list):
        return b"](" + b"".join(_py2(v) for v in obj) + b"e"
    if isinstance(obj, dict):
        return b"}(" + b"".join(_py2(k) + _py2(v) for k, v in obj.items()) + b"u"
    assert isinstance(obj, np.ndarray) and obj.dtype == np.uint8 and obj.ndim == 2
    dtype = b"cnumpy\ndtype\n" + _py2("u1") + b"K\x00K\x01\x87R(K\x03" + _py2("|") \
        + b"NNN" + _py2(-1) + _py2(-1) + b"K\x00tb"
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + _py2("b")
            + b"\x87R(K\x01" + b"".join(_py2(n) for n in obj.shape) + b"\x86" + dtype
            + b"\x89" + _py2(obj.tobytes()) + b"tb")


def write_official(root: Path, seed: int = 0, py2: bool = False) -> dict[str, np.ndarray]:
    """Five training batches and a test batch, pickled by Python 3 (protocol 2) or as Python 2."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    xs, ys = [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        x = rng.integers(0, 256, (PER_BATCH, 3072), dtype=np.uint8)
        y = [int(v) for v in rng.integers(0, 10, PER_BATCH)]
        batch = {b"batch_label": name.encode(), b"labels": y, b"data": x,
                 b"filenames": [f"{name}_{i}.png".encode() for i in range(PER_BATCH)]}
        blob = b"\x80\x02" + _py2(batch) + b"." if py2 else pickle.dumps(batch, protocol=2)
        (folder / name).write_bytes(blob)
        xs.append(x.reshape(-1, 3, 32, 32))
        ys.append(np.array(y))
    return {"x_train": np.concatenate(xs[:5]), "y_train": np.concatenate(ys[:5]),
            "x_test": xs[5], "y_test": ys[5]}


def write_images(root: Path, ext: str = ".png", seed: int = 0) -> dict[str, dict[bytes, int]]:
    """``train/<class>/`` and ``test/<class>/`` images; returns pixels (CHW bytes) -> label."""
    rng = np.random.default_rng(seed)
    expected: dict[str, dict[bytes, int]] = {"train": {}, "test": {}}
    for split in ("train", "test"):
        for label, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            for i in range(PER_CLASS):
                hwc = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                Image.fromarray(hwc).save(root / split / name / f"{i:04d}{ext}")
                expected[split][hwc.transpose(2, 0, 1).tobytes()] = label
    return expected


def make_tar(tar: Path, folder: Path, arcname: str | None = None) -> Path:
    """Tar ``folder`` (its contents at the top level unless ``arcname`` is given)."""
    with tarfile.open(tar, "w:gz") as archive:
        if arcname is not None:
            archive.add(folder, arcname=arcname)
        else:
            for child in sorted(folder.iterdir()):
                archive.add(child, arcname=child.name)
    return tar


def check_official(ds, arrays: dict[str, np.ndarray], val_size: int) -> None:
    n = 5 * PER_BATCH
    assert (len(ds.train), len(ds.val), len(ds.test)) == (n - val_size, val_size, PER_BATCH)
    assert ds.input_shape == (3, 32, 32) and ds.num_classes == 10
    x = np.concatenate([_pixels(ds.train.images), _pixels(ds.val.images)])
    np.testing.assert_array_equal(x, arrays["x_train"])
    y = torch.cat([ds.train.labels, ds.val.labels]).numpy()
    np.testing.assert_array_equal(y, arrays["y_train"])
    np.testing.assert_array_equal(_pixels(ds.test.images), arrays["x_test"])
    np.testing.assert_array_equal(ds.test.labels.numpy(), arrays["y_test"])


def check_images(ds, expected: dict[str, dict[bytes, int]], val_size: int) -> None:
    """Every image appears once with its folder's label, pixel for pixel (PNG is lossless)."""
    n = 10 * PER_CLASS
    assert (len(ds.train), len(ds.val), len(ds.test)) == (n - val_size, val_size, n)
    train = [(ds.train.images, ds.train.labels), (ds.val.images, ds.val.labels)]
    for split, parts in (("train", train), ("test", [(ds.test.images, ds.test.labels)])):
        seen = {}
        for images, labels in parts:
            for img, label in zip(_pixels(images), labels.tolist(), strict=True):
                seen[img.tobytes()] = label
        assert seen == expected[split]


def test_registered():
    assert DATASETS.get("cifar10") is load_cifar10


@pytest.mark.parametrize("py2", [False, True], ids=["python3", "python2"])
def test_official_folder(tmp_path, py2):
    arrays = write_official(tmp_path / "data", py2=py2)
    ds = load_cifar10(str(tmp_path / "data"), val_size=7, download=False)
    check_official(ds, arrays, 7)


def test_official_tarball_extracts_into_cache_only(tmp_path, monkeypatch):
    arrays = write_official(tmp_path / "src")
    data = tmp_path / "data"
    data.mkdir()
    make_tar(data / "cifar-10-python.tar.gz", tmp_path / "src")
    monkeypatch.setenv("VIMAX_DATA", str(data))
    check_official(load_cifar10(val_size=5, download=False), arrays, 5)
    assert [p.name for p in data.iterdir()] == ["cifar-10-python.tar.gz"]
    assert (tmp_path / "cache" / "cifar-10-python" / "cifar-10-batches-py" / "test_batch").is_file()
    check_official(load_cifar10(val_size=5, download=False), arrays, 5)  # reuses the extraction


def test_malicious_batch_is_refused(tmp_path):
    write_official(tmp_path / "data")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch '{marker}'",)

    payload = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [Evil()]}
    (tmp_path / "data" / "cifar-10-batches-py" / "data_batch_3").write_bytes(pickle.dumps(payload, 2))
    with pytest.raises(DataError, match=r"data_batch_3: refused to load: the pickle asks for"):
        load_cifar10(str(tmp_path / "data"), val_size=5, download=False)
    assert not marker.exists()


@pytest.mark.parametrize(
    "batch, match",
    [
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "labels must lie in 0..9"),
        ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, "uint8 array"),
        ({b"data": np.zeros((2, 1024), np.uint8), b"labels": [0, 1]}, "uint8 array"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "expected 2 labels"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0.0, 1.5]}, "list of integers"),
        ({b"labels": [0, 1]}, "uint8 array"),
        ([1, 2], "expected a pickled dict"),
    ],
)
def test_malformed_batch(tmp_path, batch, match):
    write_official(tmp_path / "data")
    (tmp_path / "data" / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps(batch, 2))
    with pytest.raises(DataError, match=match):
        load_cifar10(str(tmp_path / "data"), val_size=5, download=False)


@pytest.mark.parametrize("subfolder", ["", "cifar10-jpeg", "cifar10"])
def test_png_folders(tmp_path, subfolder):
    expected = write_images(tmp_path / "data" / subfolder)
    ds = load_cifar10(str(tmp_path / "data"), val_size=6, download=False)
    check_images(ds, expected, 6)
    assert len(list((tmp_path / "cache").glob("cifar10-images-*.npz"))) == 1


def test_folder_cache_is_reused_and_refreshed(tmp_path, monkeypatch):
    data = tmp_path / "data"
    expected = write_images(data)
    check_images(load_cifar10(str(data), val_size=6, download=False), expected, 6)
    with monkeypatch.context() as patch:  # a valid cache means no decoding at all
        patch.setattr(image_folder, "decode", lambda items, side: pytest.fail("decoded again"))
        check_images(load_cifar10(str(data), val_size=6, download=False), expected, 6)
    # Changing an image invalidates the cache.
    path = data / "test" / "cat" / "0001.png"
    new = np.full((32, 32, 3), 7, np.uint8)
    Image.fromarray(new).save(path)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    expected["test"] = {k: v for k, v in expected["test"].items() if v != 3}
    expected["test"].update({b: 3 for b in _class_pixels(data / "test" / "cat")})
    check_images(load_cifar10(str(data), val_size=6, download=False), expected, 6)


def _class_pixels(folder: Path) -> list[bytes]:
    return [np.asarray(Image.open(f)).transpose(2, 0, 1).tobytes() for f in sorted(folder.iterdir())]


def test_jpeg_folders(tmp_path):
    write_images(tmp_path / "data", ext=".jpg")
    ds = load_cifar10(str(tmp_path / "data"), val_size=6, download=False)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (24, 6, 30)
    counts = torch.bincount(torch.cat([ds.train.labels, ds.val.labels]), minlength=10)
    assert counts.tolist() == [PER_CLASS] * 10
    assert torch.bincount(ds.test.labels).tolist() == [PER_CLASS] * 10


def test_image_tarball_is_decoded_without_touching_data_dir(tmp_path, monkeypatch):
    expected = write_images(tmp_path / "src")
    data = tmp_path / "data"
    data.mkdir()
    make_tar(data / "cifar10-jpeg.tar.gz", tmp_path / "src")
    check_images(load_cifar10(str(data), val_size=6, download=False), expected, 6)
    assert [p.name for p in data.iterdir()] == ["cifar10-jpeg.tar.gz"]
    assert (tmp_path / "cache" / "cifar10-jpeg.npz").is_file()
    monkeypatch.setattr(cifar10, "decode_tar", lambda *args: pytest.fail("decoded again"))
    check_images(load_cifar10(str(data), val_size=6, download=False), expected, 6)


def test_corrupt_cache_is_ignored(tmp_path):
    expected = write_images(tmp_path / "src")
    make_tar(tmp_path / "cifar10-jpeg.tar.gz", tmp_path / "src")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "cifar10-jpeg.npz").write_bytes(b"not a zip file")
    check_images(load_cifar10(str(tmp_path), val_size=6, download=False), expected, 6)


def test_truncated_image_tarball(tmp_path):
    write_images(tmp_path / "src")
    tar = make_tar(tmp_path / "full.tar.gz", tmp_path / "src")
    data = tmp_path / "data"
    data.mkdir()
    (data / "cifar10-jpeg.tar.gz").write_bytes(tar.read_bytes()[: tar.stat().st_size // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_cifar10(str(data), val_size=6, download=False)


@pytest.mark.parametrize("as_tar", [False, True])
def test_wrong_class_folders(tmp_path, as_tar):
    src = tmp_path / "src"
    write_images(src)
    (src / "train" / "truck").rename(src / "train" / "lorry")
    data = make_tar(tmp_path / "cifar10-jpeg.tar.gz", src).parent if as_tar else src
    with pytest.raises(DataError, match=r"class folders must be exactly .*missing: truck, "
                                        r"unexpected: lorry"):
        load_cifar10(str(data), val_size=6, download=False)


@pytest.mark.parametrize(
    "image, match",
    [(Image.new("RGB", (31, 32)), "31x32 RGB"), (Image.new("L", (32, 32)), "32x32 L"),
     (Image.new("RGBA", (32, 32)), "RGBA")],
)
def test_bad_images(tmp_path, image, match):
    write_images(tmp_path / "data")
    image.save(tmp_path / "data" / "train" / "dog" / "0001.png")
    with pytest.raises(DataError, match=rf"dog/0001\.png: expected a 32x32 RGB image, got .*{match}"):
        load_cifar10(str(tmp_path / "data"), val_size=6, download=False)


def test_undecodable_image(tmp_path):
    write_images(tmp_path / "data")
    (tmp_path / "data" / "test" / "cat" / "0000.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(DataError, match=r"cat/0000\.png: cannot decode image"):
        load_cifar10(str(tmp_path / "data"), val_size=6, download=False)


def test_nothing_found_without_download(tmp_path):
    with pytest.raises(DataError, match=r"cifar-10-python\.tar\.gz.*VIMAX_DATA") as info:
        load_cifar10(str(tmp_path), download=False)
    assert "--data-dir" in str(info.value) and str(tmp_path) in str(info.value)


def test_download_goes_to_cache_with_checksum(tmp_path, monkeypatch):
    arrays = write_official(tmp_path / "src")
    tar = make_tar(tmp_path / "official.tar.gz", tmp_path / "src")
    calls = []

    def fake_fetch(url, dest, sha256, *, hint="", timeout=30):
        calls.append((url, Path(dest), sha256))
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_bytes(tar.read_bytes())
        return Path(dest)

    monkeypatch.setattr(cifar10, "fetch", fake_fetch)
    empty = tmp_path / "empty"
    empty.mkdir()
    check_official(load_cifar10(str(empty), val_size=5), arrays, 5)
    assert calls == [(cifar10.URL, tmp_path / "cache" / "cifar-10-python.tar.gz", cifar10.SHA256)]
    assert list(empty.iterdir()) == []


def test_offline_download_error_says_what_to_put_where(tmp_path, monkeypatch):
    def offline(url, dest, sha256, *, hint="", timeout=30):
        raise DataError(f"could not download {Path(dest).name}, this machine seems offline; {hint}")

    monkeypatch.setattr(cifar10, "fetch", offline)
    with pytest.raises(DataError, match=r"offline; put cifar-10-python\.tar\.gz .*VIMAX_DATA"):
        load_cifar10(str(tmp_path))


def _real_data() -> Path | None:
    roots = [CALLER_DATA, Path(__file__).resolve().parents[2] / ".." / "shared" / "data"]
    for root in roots:
        if root and (Path(root) / "cifar10-jpeg.tar.gz").is_file():
            return Path(root)
    return None


@pytest.mark.slow
def test_real_cifar10_jpeg(tmp_path, monkeypatch):
    root = _real_data()
    if root is None:
        pytest.skip("cifar10-jpeg.tar.gz not found in $VIMAX_DATA or ../shared/data")
    start = time.perf_counter()
    ds = load_cifar10(str(root))
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = load_cifar10(str(root))
    second = time.perf_counter() - start
    print(f"\nreal CIFAR-10 load: first {first:.1f} s (decode), second {second:.1f} s (cache)")
    assert (len(ds.train), len(ds.val), len(ds.test)) == (45000, 5000, 10000)
    assert ds.num_classes == 10 and ds.input_shape == (3, 32, 32)
    train_val = torch.cat([ds.train.labels, ds.val.labels])
    assert torch.bincount(train_val, minlength=10).tolist() == [5000] * 10
    assert torch.bincount(ds.test.labels, minlength=10).tolist() == [1000] * 10
    assert torch.bincount(ds.val.labels, minlength=10).min() > 400  # a mixed validation split
    assert torch.equal(again.val.images, ds.val.images)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["cifar10-jpeg.npz"]


def test_oversized_tar_member_is_refused(tmp_path):
    write_images(tmp_path / "src")
    (tmp_path / "src" / "train" / "cat" / "huge.png").write_bytes(bytes(2 << 20))
    make_tar(tmp_path / "cifar10-jpeg.tar.gz", tmp_path / "src")
    with pytest.raises(DataError, match=r"huge\.png: 2097152 bytes is too large"):
        load_cifar10(str(tmp_path), val_size=6, download=False)
