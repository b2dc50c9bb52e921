"""The README's drop-in example is examples/drop_in.py, which CI runs with only torch and numpy."""

from __future__ import annotations

import runpy

from conftest import REPO_ROOT


def test_readme_shows_the_example_that_ci_runs():
    example = (REPO_ROOT / "examples" / "drop_in.py").read_text()
    assert f"```python\n{example}```" in (REPO_ROOT / "README.md").read_text()


def test_the_example_runs(capsys):
    runpy.run_path(str(REPO_ROOT / "examples" / "drop_in.py"), run_name="__main__")
    assert "regulariser_grad_ratio" in capsys.readouterr().out
