"""Datasets read from a path: .npz, .csv and image folders (vimax.data.files and its readers)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vimax.data import DataConfig, load_dataset, load_file, prepare_arrays
from vimax.data.config import load_run_dataset
from vimax.errors import ConfigError, DataError


def _features(n: int = 200, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3  # every class in every split
    x = rng.normal(size=(n, d)) * [1.0, 10.0, 0.1][:d] + [5.0, -3.0, 0.0][:d] + y[:, None]
    return x.astype(np.float32), y


def _rows(dataset_split) -> set[tuple[float, ...]]:
    return {tuple(row) for row in dataset_split.images.flatten(1).tolist()}


# ---------------------------------------------------------------- .npz


def test_npz_features_are_standardised_with_the_training_split_statistics(tmp_path):
    x, y = _features()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    ds = load_file(tmp_path / "d.npz", val_size=20)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (140, 20, 40)
    assert ds.bounds is None and ds.num_classes == 3 and ds.input_shape == (3,)
    # the same splits unscaled (the split does not depend on the scaling) give the raw training rows
    raw = load_file(tmp_path / "d.npz", val_size=20, normalize="none")
    train = raw.train.images.double().numpy()
    mean, std = (np.array(ds.normalization[k]) for k in ("mean", "std"))
    assert np.allclose(mean, train.mean(axis=0), rtol=1e-12)
    assert np.allclose(std, train.std(axis=0), rtol=1e-12)
    assert not np.allclose(mean, x.astype(np.float64).mean(axis=0), rtol=1e-6)  # not all 200 rows
    for scaled, unscaled in ((ds.train, raw.train), (ds.val, raw.val), (ds.test, raw.test)):
        expected = (unscaled.images.double().numpy() - mean) / std  # the training statistics, everywhere
        assert np.allclose(scaled.images.numpy(), expected, atol=1e-6)
        assert torch.equal(scaled.labels, unscaled.labels)


def test_npz_splits_are_disjoint_seeded_and_independent_of_anything_else(tmp_path):
    x, y = _features()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    a, b = load_file(tmp_path / "d.npz"), load_file(tmp_path / "d.npz")
    c = load_file(tmp_path / "d.npz", seed=1)
    assert torch.equal(a.test.images, b.test.images) and torch.equal(a.val.labels, b.val.labels)
    assert not torch.equal(a.test.labels, c.test.labels)
    parts = [_rows(s) for s in (a.train, a.val, a.test)]
    assert sum(map(len, parts)) == 200 and len(set.union(*parts)) == 200  # a partition of the rows
    assert (len(a.val), len(a.test)) == (16, 40)  # 10 % of the 160 training rows, 20 % of all


def test_npz_uint8_images_are_scaled_and_keep_their_test_split(tmp_path):
    rng = np.random.default_rng(0)
    x, x_test = (rng.integers(0, 256, (n, 5, 4), dtype=np.uint8) for n in (30, 8))
    y, y_test = np.arange(30) % 2, np.arange(8) % 2
    np.savez(tmp_path / "i.npz", x_train=x, y_train=y, x_test=x_test, y_test=y_test)  # Keras names
    ds = load_file(tmp_path / "i.npz", val_size=5)
    assert ds.bounds == (0.0, 1.0) and ds.normalization is None and ds.input_shape == (1, 5, 4)
    assert torch.equal(ds.test.images, torch.from_numpy(x_test).float()[:, None] / 255.0)
    assert ds.test.labels.tolist() == y_test.tolist()
    scaled = {tuple(r) for r in (x.astype(np.float32) / 255.0).reshape(30, -1).tolist()}
    assert _rows(ds.train) | _rows(ds.val) == scaled and len(ds.train) == 25


def test_channel_last_images_become_channel_first():
    x = np.zeros((10, 6, 6, 3), np.uint8)
    x[..., 1] = 255
    ds = prepare_arrays("c", {"x": x, "y": np.arange(10) % 2}, val_size=2)
    assert ds.input_shape == (3, 6, 6)
    assert ds.train.images[:, 1].min() == 1.0 and ds.train.images[:, 0].max() == 0


def test_normalize_none_keeps_values_and_bounds_only_when_in_the_unit_interval():
    x = np.linspace(0, 1, 40, dtype=np.float32).reshape(20, 2)
    kept = prepare_arrays("n", {"x": x, "y": np.arange(20) % 2}, normalize="none", val_size=2)
    assert kept.bounds == (0.0, 1.0) and kept.normalization is None
    assert _rows(kept.train) <= {tuple(r) for r in x.tolist()}
    wide = prepare_arrays("n", {"x": x * 3, "y": np.arange(20) % 2}, normalize="none", val_size=2)
    assert wide.bounds is None


def test_saved_statistics_are_applied_not_recomputed(tmp_path):
    x, y = _features()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    first = load_file(tmp_path / "d.npz")
    stats = {"mean": [0.0, 0.0, 0.0], "std": [2.0, 2.0, 2.0]}
    again = load_file(tmp_path / "d.npz", saved={"normalization": stats, "source": first.source})
    assert again.normalization == stats
    assert torch.allclose(again.test.images * 2, first.test.images * torch.tensor(first.normalization["std"])
                          + torch.tensor(first.normalization["mean"]), atol=1e-4)


@pytest.mark.parametrize("arrays, fragment", [
    ({"x": np.zeros((5, 2))}, "needs arrays x and y"),
    ({"x": np.zeros((5, 2)), "y": np.arange(5), "x_test": np.zeros((2, 2))}, "x_test with y_test"),
    ({"x": np.zeros((5, 2)), "y": np.arange(4)}, "the same number of examples"),
    ({"x": np.zeros((5, 2)), "y": np.arange(5) / 2}, "labels must be integers or strings, got float64"),
    ({"x": np.zeros((5, 2)), "y": np.zeros(5, int)}, "at least 2 are needed"),
    ({"x": np.full((5, 2), np.nan), "y": np.arange(5) % 2}, "NaN or infinite"),
    ({"x": np.zeros((5, 2)), "y": np.arange(5) % 2, "x_test": np.zeros((2, 3)), "y_test": np.arange(2)},
     "differ in the shape"),
    ({"x": np.zeros((5, 2)), "y": np.arange(5) % 2, "x_test": np.zeros((2, 2)), "y_test": np.array([0, -1])},
     "must be >= 0"),
])
def test_bad_npz_is_one_line_naming_the_file(tmp_path, arrays, fragment):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=fragment) as info:
        load_file(tmp_path / "bad.npz", val_size=1)
    assert str(tmp_path / "bad.npz") in str(info.value) and "\n" not in str(info.value)


def test_unknown_suffix_and_missing_path(tmp_path):
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(DataError, match=r"must end in \.npz or \.csv"):
        load_file(tmp_path / "d.txt")
    with pytest.raises(DataError, match="no such file or folder"):
        load_file(tmp_path / "nope.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="corrupt or unreadable .npz"):
        load_file(tmp_path / "junk.npz")


# ---------------------------------------------------------------- .csv


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_csv_labels_in_a_named_column_as_class_names(tmp_path):
    x, y = _features(60, 2)
    names = np.array(["owl", "cat", "dog"])[y]
    rows = [[names[i], x[i, 0], x[i, 1]] for i in range(60)]
    ds = load_file(_write_csv(tmp_path / "d.csv", ["species", "a", "b"], rows), label_column="species")
    assert ds.classes == ("cat", "dog", "owl") and ds.num_classes == 3 and ds.input_shape == (2,)
    mean, std = np.array(ds.normalization["mean"]), np.array(ds.normalization["std"])
    every = np.concatenate([s.images.double().numpy() * std + mean for s in (ds.train, ds.val, ds.test)])
    assert np.allclose(np.sort(every, axis=0), np.sort(x.astype(np.float64), axis=0), atol=1e-4)
    # "owl" rows are y == 0 rows: label index 2 of the sorted names
    assert sorted(set(ds.train.labels.tolist())) == [0, 1, 2]


def test_csv_default_label_column_is_the_last_and_integer_labels_stay(tmp_path):
    rows = [[i, i * 2.5, i % 4] for i in range(40)]
    ds = load_file(_write_csv(tmp_path / "d.csv", ["a", "b", "label"], rows))
    assert ds.classes is None and ds.num_classes == 4 and ds.input_shape == (2,)


@pytest.mark.parametrize("rows, label_column, fragment", [
    ([[1, "x", 0], [2, 3, 1]], None, r"d.csv:2: column 'b' holds 'x', not a number"),
    ([[1, 2, 0], [2, 3]], None, r"d.csv:3: 2 values, the header has 3"),
    ([[1, 2, 0], [2, 3, 1]], "kind", r"no column 'kind' for the labels; its columns: a, b, label"),
])
def test_bad_csv_is_one_line(tmp_path, rows, label_column, fragment):
    path = _write_csv(tmp_path / "d.csv", ["a", "b", "label"], rows)
    with pytest.raises(DataError, match=fragment) as info:
        load_file(path, label_column=label_column)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- image folders


def _image_folder(root: Path, per_class: dict[str, int], size=(4, 3), mode="RGB", seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for name, count in per_class.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(root / name / f"{i}.png")


def test_folder_of_any_class_names(tmp_path):
    _image_folder(tmp_path / "pics", {"zebra": 10, "ant": 10, "moth": 10})
    ds = load_file(tmp_path / "pics", val_size=3)
    assert ds.classes == ("ant", "moth", "zebra") and ds.input_shape == (3, 3, 4)
    assert ds.bounds == (0.0, 1.0) and (len(ds.train), len(ds.val), len(ds.test)) == (21, 3, 6)
    assert ds.source["format"] == "folder" and ds.source["path"] == str(tmp_path / "pics")
    # the pixels of ant/0.png are a training, validation or test image labelled 0
    ant = torch.from_numpy(np.array(Image.open(tmp_path / "pics" / "ant" / "0.png"))).permute(2, 0, 1) / 255
    assert any(torch.equal(img, ant.float()) and label == 0 for s in (ds.train, ds.val, ds.test)
               for img, label in zip(s.images, s.labels.tolist()))


def test_folder_with_train_and_test_greyscale(tmp_path):
    _image_folder(tmp_path / "g" / "train", {"a": 6, "b": 6}, mode="L")
    _image_folder(tmp_path / "g" / "test", {"a": 2, "b": 3}, mode="L", seed=1)
    ds = load_file(tmp_path / "g", val_size=2)
    assert ds.input_shape == (1, 3, 4) and len(ds.test) == 5 and ds.test.labels.tolist() == [0, 0, 1, 1, 1]


def test_folder_fingerprint_follows_the_images_and_the_cache_is_reused(tmp_path, monkeypatch):
    from vimax.data import class_folders

    _image_folder(tmp_path / "p", {"a": 5, "b": 5})
    first = load_file(tmp_path / "p", val_size=2)
    calls = []
    monkeypatch.setattr(class_folders, "_decode", lambda files: calls.append(files) or None)
    again = load_file(tmp_path / "p", val_size=2)  # decoded arrays come from the cache
    assert calls == [] and again.source == first.source and torch.equal(again.test.images, first.test.images)
    monkeypatch.undo()
    _image_folder(tmp_path / "p", {"b": 1}, seed=9)  # rewrite b/0.png with other pixels
    assert load_file(tmp_path / "p", val_size=2).source["sha256"] != first.source["sha256"]


@pytest.mark.parametrize("make, fragment", [
    (lambda r: _image_folder(r, {"only": 4}), "at least 2"),
    (lambda r: (_image_folder(r, {"a": 3, "b": 3}), _image_folder(r, {"b": 1}, size=(5, 5))),
     "every image must have the same size"),
    (lambda r: (_image_folder(r / "train", {"a": 3, "b": 3}), _image_folder(r / "test", {"c": 1})),
     "test class 'c' has no training folder"),
    (lambda r: (_image_folder(r, {"a": 3}), (r / "b").mkdir()), r"b: no \.jpg/\.jpeg/\.png images"),
])
def test_bad_folders(tmp_path, make, fragment):
    make(tmp_path / "f")
    with pytest.raises(DataError, match=fragment):
        load_file(tmp_path / "f", val_size=1)


# ---------------------------------------------------------------- provenance and the config


def test_changed_file_is_refused_naming_the_path(tmp_path):
    x, y = _features()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    summary = {"name": "file", **load_file(tmp_path / "d.npz").provenance()}
    config = DataConfig(path=str(tmp_path / "d.npz"))
    assert len(load_run_dataset(config, summary).test) == 40
    x[0, 0] += 1
    np.savez(tmp_path / "d.npz", x=x, y=y)
    with pytest.raises(DataError, match=r"d\.npz changed since the run was trained") as info:
        load_run_dataset(config, summary)
    assert str(tmp_path / "d.npz") in str(info.value) and "\n" not in str(info.value)


def test_a_moved_file_is_found_through_data_dir(tmp_path):
    x, y = _features()
    np.savez(tmp_path / "d.npz", x=x, y=y)
    first = load_file(tmp_path / "d.npz")
    summary = {"name": "file", **first.provenance()}
    (tmp_path / "d.npz").rename(tmp_path / "moved.npz")
    again = load_run_dataset(DataConfig(path=str(tmp_path / "d.npz")), summary, str(tmp_path / "moved.npz"))
    assert torch.equal(again.test.images, first.test.images)


def test_data_config_path_makes_the_name_file_and_refuses_mixtures():
    assert DataConfig(path="x.npz").name == "file"
    with pytest.raises(ConfigError, match="leave data.name out"):
        DataConfig(name="mnist", path="x.npz")
    with pytest.raises(ConfigError, match="needs data.path"):
        DataConfig(name="file")
    with pytest.raises(ConfigError, match="data_dir"):
        DataConfig(path="x.npz", data_dir="/tmp")
    from vimax.config import RunConfig

    with pytest.raises(ConfigError, match="data.test_fraction: Input should be less than 1"):
        RunConfig.from_dict({"data": {"path": "x.npz", "test_fraction": 1.0}})


def test_configs_saved_before_the_data_keys_existed_resolve_to_the_same_config():
    """Configs of runs made before data.path existed compare equal (resume, reuse of finished runs)."""
    from vimax.config import RunConfig, resolved

    old = RunConfig().to_dict()
    old["data"] = {key: old["data"][key] for key in ("name", "data_dir", "val_size", "download")}
    assert resolved(old) == RunConfig().to_dict()
    saved = RunConfig(data=DataConfig(path="/d.npz", label_column="y")).to_dict()["data"]
    assert saved["path"] == "/d.npz" and saved["label_column"] == "y" and saved["normalize"] == "auto"


def test_data_dir_must_be_an_existing_folder(tmp_path, monkeypatch):
    from vimax.data import mnist

    monkeypatch.setattr(mnist, "fetch", lambda *a, **k: pytest.fail("tried to download"))
    (tmp_path / "f.npz").write_bytes(b"")
    with pytest.raises(DataError, match=r"is a file, not a folder; .*--dataset .*f\.npz"):
        load_dataset(DataConfig(name="digits", data_dir=str(tmp_path / "f.npz")))
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(DataConfig(name="mnist", data_dir=str(tmp_path / "missing")))
