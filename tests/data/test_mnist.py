"""MNIST loading from tiny hand-made files, plus one check on the real data set."""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vimax.data import DATASETS, build_dataset, load_mnist
from vimax.data import mnist as mnist_module
from vimax.data.mnist import IDX_FILES, read_idx
from vimax.errors import DataError

N_TRAIN, N_TEST = 12, 5
REPO_ROOT = Path(__file__).resolve().parents[2]
REAL_DATA_ENV = os.environ.get("VIMAX_DATA")  # read before the fixture below hides it


def _arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(N_TRAIN) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(N_TEST)[::-1] % 10).astype(np.uint8),
    }


def _idx_bytes(arr: np.ndarray) -> bytes:
    magic = 2051 if arr.ndim == 3 else 2049
    head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def write_idx_set(folder: Path, arrays: dict[str, np.ndarray], gz: bool) -> dict[str, Path]:
    """Write the four IDX files; returns their paths by stem."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = dict(zip(IDX_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True))
    paths = {}
    for stem, key in keys.items():
        data = _idx_bytes(arrays[key])
        path = folder / (stem + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data) if gz else data)
        paths[stem] = path
    return paths


def _check(ds, arrays: dict[str, np.ndarray], val_size: int) -> None:
    cut = N_TRAIN - val_size
    assert (len(ds.train), len(ds.val), len(ds.test)) == (cut, val_size, N_TEST)
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    assert ds.train.images.dtype == torch.float32 and ds.train.labels.dtype == torch.int64
    expected = torch.from_numpy(arrays["x_train"][:cut]).float()[:, None] / 255.0
    assert torch.equal(ds.train.images, expected)
    assert ds.val.labels.tolist() == arrays["y_train"][cut:].tolist()
    assert ds.test.labels.tolist() == arrays["y_test"].tolist()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test sees the user's VIMAX_DATA or cache, and none may reach the network."""
    monkeypatch.delenv("VIMAX_DATA", raising=False)
    monkeypatch.setenv("VIMAX_CACHE", str(tmp_path / "cache"))

    def no_network(*args, **kwargs):
        raise AssertionError("a test tried to download")

    monkeypatch.setattr(mnist_module, "fetch", no_network)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_load(tmp_path, gz):
    arrays = _arrays()
    write_idx_set(tmp_path / "d", arrays, gz)
    _check(load_mnist(str(tmp_path / "d"), val_size=3, download=False), arrays, 3)


def test_mixed_plain_and_gz_idx(tmp_path):
    arrays = _arrays(1)
    paths = write_idx_set(tmp_path, arrays, gz=True)
    plain = paths["t10k-images-idx3-ubyte"]
    plain.with_suffix("").write_bytes(gzip.decompress(plain.read_bytes()))
    plain.unlink()
    _check(load_mnist(str(tmp_path), val_size=2, download=False), arrays, 2)


def test_npz_loads_and_wins_over_idx(tmp_path):
    arrays = _arrays(2)
    np.savez(tmp_path / "mnist.npz", **arrays)
    write_idx_set(tmp_path, _arrays(3), gz=False)
    _check(load_mnist(str(tmp_path), val_size=4, download=False), arrays, 4)


def test_env_var_then_cache(tmp_path, monkeypatch):
    arrays = _arrays(4)
    np.savez_compressed(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv("VIMAX_DATA", str(tmp_path))
    _check(load_mnist(val_size=2, download=False), arrays, 2)
    monkeypatch.delenv("VIMAX_DATA")
    cache = Path(os.environ["VIMAX_CACHE"])
    write_idx_set(cache, arrays, gz=True)
    _check(build_dataset("mnist", val_size=2, download=False), arrays, 2)
    assert "mnist" in DATASETS.names()


def test_missing_files_name_them(tmp_path):
    write_idx_set(tmp_path, _arrays(), gz=False)["train-labels-idx1-ubyte"].unlink()
    with pytest.raises(DataError) as info:
        load_mnist(str(tmp_path), download=False)
    msg = str(info.value)
    assert "\n" not in msg and str(tmp_path) in msg and "mnist.npz" in msg
    assert all(stem in msg for stem in IDX_FILES)
    assert "--data-dir" in msg and "VIMAX_DATA" in msg


def _corrupt(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) - 7])
    elif how == "extra":
        path.write_bytes(data + b"\0")
    elif how == "magic":
        path.write_bytes((2052).to_bytes(4, "big") + data[4:])
    elif how == "header":
        path.write_bytes(data[:6])


@pytest.mark.parametrize("how", ["truncate", "extra", "magic", "header"])
@pytest.mark.parametrize("stem", ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
def test_bad_idx_names_the_file(tmp_path, how, stem):
    path = write_idx_set(tmp_path, _arrays(), gz=False)[stem]
    _corrupt(path, how)
    with pytest.raises(DataError, match=stem):
        load_mnist(str(tmp_path), val_size=2, download=False)


def test_truncated_and_bogus_gzip(tmp_path):
    paths = write_idx_set(tmp_path, _arrays(), gz=True)
    path = paths["train-images-idx3-ubyte"]
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        load_mnist(str(tmp_path), val_size=2, download=False)
    path.write_bytes(b"definitely not gzip")
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        load_mnist(str(tmp_path), val_size=2, download=False)


def test_idx_wrong_image_size_and_mismatched_counts(tmp_path):
    arrays = _arrays()
    (tmp_path / "small-idx3-ubyte").write_bytes(_idx_bytes(np.zeros((2, 8, 8), np.uint8)))
    with pytest.raises(DataError, match="28x28"):
        read_idx(tmp_path / "small-idx3-ubyte", 3)
    arrays["y_train"] = arrays["y_train"][:-1]
    write_idx_set(tmp_path / "d", arrays, gz=False)
    with pytest.raises(DataError, match="labels"):
        load_mnist(str(tmp_path / "d"), val_size=2, download=False)


@pytest.mark.parametrize("fmt", ["idx", "npz"])
def test_labels_out_of_range(tmp_path, fmt):
    arrays = _arrays()
    arrays["y_test"][2] = 10
    if fmt == "idx":
        write_idx_set(tmp_path, arrays, gz=True)
    else:
        np.savez(tmp_path / "mnist.npz", **arrays)
    with pytest.raises(DataError, match=r"\[0, 10\)"):
        load_mnist(str(tmp_path), val_size=2, download=False)


@pytest.mark.parametrize("problem", ["truncate", "garbage", "empty", "missing_key", "shape",
                                     "flat_labels", "npy", "object", "float_range"])
def test_bad_npz_names_the_file(tmp_path, problem):
    path = tmp_path / "mnist.npz"
    arrays = _arrays()
    if problem == "missing_key":
        del arrays["y_test"]
    elif problem == "shape":
        arrays["x_train"] = arrays["x_train"].reshape(N_TRAIN, 784)
    elif problem == "flat_labels":
        arrays["y_train"] = arrays["y_train"].reshape(N_TRAIN, 1)
    elif problem == "object":
        arrays["y_test"] = np.array([1, "a", None] * 2, dtype=object)
    elif problem == "float_range":
        arrays["x_test"] = arrays["x_test"].astype(np.float32)  # 0..255 floats: out of [0, 1]
    np.savez(path, **arrays)
    if problem == "truncate":
        path.write_bytes(path.read_bytes()[:300])
    elif problem == "garbage":
        path.write_bytes(os.urandom(500))
    elif problem == "empty":
        path.write_bytes(b"")
    elif problem == "npy":
        np.save(tmp_path / "x.npy", arrays["x_train"])
        (tmp_path / "x.npy").replace(path)
    with pytest.raises(DataError) as info:
        load_mnist(str(tmp_path), val_size=2, download=False)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_npz_bad_crc_inside_zip(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, **_arrays())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("x_train.npy")
    data[info.header_offset + 30 + len(info.filename) + 200] ^= 0xFF  # flip one pixel byte
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="mnist.npz"):
        load_mnist(str(tmp_path), val_size=2, download=False)


def test_download_fallback_to_idx_mirror(tmp_path, monkeypatch):
    """The npz mirror is dead, so the IDX files come from a local file:// mirror."""
    from vimax.data.download import download

    monkeypatch.setattr(mnist_module, "fetch", download)
    mirror = tmp_path / "mirror"
    arrays = _arrays(5)
    paths = write_idx_set(mirror, arrays, gz=True)
    sums = {stem: hashlib.sha256(p.read_bytes()).hexdigest() for stem, p in paths.items()}
    monkeypatch.setattr(mnist_module, "NPZ_URLS", ((tmp_path / "nothing.npz").as_uri(),))
    monkeypatch.setattr(mnist_module, "IDX_MIRRORS", ("file:///no/such/dir/", mirror.as_uri() + "/"))
    monkeypatch.setattr(mnist_module, "IDX_FILES", sums)
    _check(load_mnist(str(tmp_path / "empty"), val_size=2), arrays, 2)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(
        s + ".gz" for s in IDX_FILES
    )


def test_offline_download_error_says_what_to_do(tmp_path, monkeypatch):
    from vimax.data.download import download

    monkeypatch.setattr(mnist_module, "fetch", download)
    dead = (tmp_path / "dead").as_uri() + "/"
    monkeypatch.setattr(mnist_module, "NPZ_URLS", (dead + "mnist.npz",))
    monkeypatch.setattr(mnist_module, "IDX_MIRRORS", (dead,))
    with pytest.raises(DataError) as info:
        load_mnist(str(tmp_path / "empty"), val_size=2)
    msg = str(info.value)
    assert "offline" in msg and "mnist.npz" in msg and str(tmp_path / "cache") in msg
    assert "VIMAX_DATA" in msg and "\n" not in msg


_HEADERS = st.sampled_from([b"", (2049).to_bytes(4, "big"), (2051).to_bytes(4, "big")])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=_HEADERS, dims=st.lists(st.integers(0, 40), max_size=3),
       body=st.binary(max_size=300), ndim=st.sampled_from([1, 3]), gz=st.booleans())
def test_random_bytes_only_raise_data_error(tmp_path, head, dims, body, ndim, gz):
    data = head + b"".join(d.to_bytes(4, "big") for d in dims) + body
    path = tmp_path / ("f.gz" if gz else "f")
    path.write_bytes(gzip.compress(data) if gz and len(body) % 2 else data)
    try:
        arr = read_idx(path, ndim)
    except DataError:
        return
    assert arr.ndim == ndim and arr.dtype == np.uint8


def _real_mnist_dir() -> Path | None:
    if REAL_DATA_ENV:
        return Path(REAL_DATA_ENV)
    fallback = REPO_ROOT.parent / "shared" / "data"
    return fallback if (fallback / "mnist.npz").is_file() else None


@pytest.mark.mnist
def test_real_mnist(monkeypatch):
    folder = _real_mnist_dir()
    if folder is None:
        pytest.skip("real MNIST not available: VIMAX_DATA is unset and "
                    "../shared/data/mnist.npz does not exist beside the repo")
    monkeypatch.setenv("VIMAX_DATA", str(folder))
    ds = load_mnist(download=False)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (55000, 5000, 10000)
    assert ds.input_shape == (1, 28, 28)
    assert ds.train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert ds.test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    counts = torch.bincount(ds.test.labels, minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    for split in (ds.train, ds.val, ds.test):
        assert split.images.min() >= 0.0 and split.images.max() <= 1.0
    assert ds.train.images.max() == 1.0
