"""The README's sweep file example parses and expands (a file without profiles, evaluation off)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from vimax.sweep import expand, parse_sweep

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_sweep_example_expands_to_its_runs(tmp_path):
    block = re.search(r"```yaml\n(name: my_beta_sweep.*?)```", README.read_text(), re.S).group(1)
    sweep = parse_sweep(yaml.safe_load(block))
    assert sweep.profile_or_default(None) == "default"
    specs = expand(sweep, "default", tmp_path)
    assert sorted(spec.run_id for spec in specs) == sorted(
        [f"deterministic_seed{s}" for s in (0, 1)]
        + [f"vim_beta{b}_seed{s}" for b in ("1e-04", "1e-03", "1e-02") for s in (0, 1)])
    assert all(spec.evaluation is None for spec in specs)
    assert {spec.out_dir for spec in specs} == {str(tmp_path / "my_beta_sweep" / "default" / s.run_id)
                                               for s in specs}
