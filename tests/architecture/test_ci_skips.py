"""Under ``CI=true`` a skipped test is a failure, unless its reason names a kernel or
machine feature CI may lack (``tests/conftest.py``). Checked by running a small suite
with the suite's own hook in a separate pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE = """
import pytest

def test_tool_missing():
    pytest.skip("tmux is not installed")

def test_kernel_without_netem():
    pytest.skip("this kernel has no netem (sch_netem)")

def test_kernel_without_netem_said_plainly():
    pytest.skip("this kernel has no netem")

def test_netem_named_only_inside():
    pytest.skip("later: this kernel has no netem")

@pytest.mark.skip(reason="not yet")
def test_skip_mark():
    pass

def test_module_missing():
    pytest.importorskip("no_such_module_anywhere")

@pytest.mark.xfail(reason="known bug", strict=True)
def test_expected_failure():
    assert False

def test_passes():
    pass
"""


def outcomes(tmp_path: Path, ci: str | None) -> dict[str, str]:
    (tmp_path / "test_suite.py").write_text(SUITE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(REPO)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the suite's own hook, and fast
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "-c", str(tmp_path / "pytest.ini"), "-rA", "-q", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False, timeout=120,
    )  # fmt: skip
    found = {}
    for line in done.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in {"PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL"} and "::" in rest:
            found[rest.split("::")[1].split(" ")[0]] = word
        elif word == "SKIPPED":  # "SKIPPED [1] path:line: reason" names no test
            found[rest.rsplit(": ", 1)[-1]] = word
    return found


def test_under_ci_only_a_missing_machine_feature_may_skip(tmp_path: Path) -> None:
    found = outcomes(tmp_path, "true")
    assert found["this kernel has no netem (sch_netem)"] == "SKIPPED"
    assert found["this kernel has no netem"] == "SKIPPED"
    for name in ("test_tool_missing", "test_netem_named_only_inside", "test_module_missing"):
        assert found[name] == "FAILED", (name, found)
    assert found["test_skip_mark"] == "ERROR"  # skipped in setup: now an error there
    assert found["test_expected_failure"] == "XFAIL"
    assert found["test_passes"] == "PASSED"


@pytest.mark.parametrize("ci", [None, "false"])
def test_outside_ci_skips_stay_skips(tmp_path: Path, ci: str | None) -> None:
    found = outcomes(tmp_path, ci)
    assert "FAILED" not in found.values() and "ERROR" not in found.values(), found
    assert found["tmux is not installed"] == "SKIPPED"
    assert found["not yet"] == "SKIPPED"
