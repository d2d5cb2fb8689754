"""Benchmark: how long a workspace's `invoke setup` takes, with pip, uv and bootstrapped uv.

Bakes one default workspace, then for each installer times `invoke setup` into a new, empty
environment folder (cold: the interpreter search, `venv`, every pinned requirement) and once
more right after (warm: nothing to do but compare the requirements digest). Package caches
are whatever the machine has; run it twice and read the second table for warm caches.
The baseline is pip, the installer IXON's own workspace uses. Three ways are measured:
`pip` (IXON_INSTALLER=pip), `bootstrap` (no uv on PATH: setup's default, pip installs uv into
the new environment and uv the rest) and `uv` (uv on PATH).

Run from the template repository with the tools environment (it needs cookiecutter, invoke
and, for the uv row, uv on PATH or next to this Python):

    python benchmarks/setup.py [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent


def timed_setup(project: Path, venv: Path, installer: str, path: str) -> float:
    """Seconds one `invoke setup` takes; fails loudly when the setup fails."""
    choice = "pip" if installer == "pip" else ""
    env = {**os.environ, "IXON_VENV": str(venv), "IXON_INSTALLER": choice, "PATH": path}
    env.pop("VIRTUAL_ENV", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "setup"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"invoke setup ({installer}) failed:\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="cold setups per installer")
    arguments = parser.parse_args()

    here = str(Path(sys.executable).parent)
    uv_path = os.pathsep.join([here, os.environ.get("PATH", "")])
    no_uv_path = os.pathsep.join(
        folder
        for folder in uv_path.split(os.pathsep)
        if folder and not (Path(folder) / "uv").exists()
    )
    installers = {"pip": no_uv_path, "bootstrap": no_uv_path}
    if shutil.which("uv", path=uv_path):
        installers["uv"] = uv_path

    results: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as scratch:
        project = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=scratch,
                extra_context={"git_init": "no"},
            )
        )
        for installer, path in installers.items():
            cold, warm = [], []
            for run in range(arguments.runs):
                venv = Path(scratch) / f"venv-{installer}-{run}"
                cold.append(timed_setup(project, venv, installer, path))
                warm.append(timed_setup(project, venv, installer, path))
                shutil.rmtree(venv)
            results[installer] = (cold, warm)

    pip_cold = statistics.median(results["pip"][0])
    header = ("installer", "cold setup (median)", "warm setup (median)", "cold vs pip")
    print(f"{header[0]:<10}{header[1]:>22}{header[2]:>22}{header[3]:>14}")
    for installer, (cold, warm) in results.items():
        cold_median, warm_median = statistics.median(cold), statistics.median(warm)
        print(
            f"{installer:<10}{cold_median:>20.2f} s{warm_median:>20.2f} s"
            f"{cold_median / pip_cold:>14.2f}"
        )
    if "uv" not in results:
        print("uv is not on PATH: the uv row is missing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
