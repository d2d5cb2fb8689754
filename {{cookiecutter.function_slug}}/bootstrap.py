"""Run the workspace's tasks in its environment, setting that up first when it is missing.

The template owns this file (standard library only: it runs in whatever Python runs invoke,
before `.venv` exists). `tasks.py` calls `enter()`: inside the environment it returns at once;
elsewhere (a global invoke, pipx) it creates `.venv` with the workspace's Python when needed,
installs the locked requirements-dev.txt (the tooling, ixon-devkit, among them) and runs the
same invoke command again inside it. Everything else (`invoke setup`, keeping the environment
in step with its locks) is the tooling's own. IXON_VENV, IXON_PYTHON and IXON_INSTALLER work as
`invoke setup` documents them. `python3 -m bootstrap upgrade` runs the tooling's `upgrade`
without tasks.py (one from an older release that does not load after `cruft update`),
installing the pin of requirements-dev.in where the lock has no tooling yet.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

LOCK = "requirements-dev.txt"


def enter(tasks_file, module="invoke"):
    root = Path(tasks_file).resolve().parent
    os.environ["IXON_WORKSPACE"] = str(root)
    env = Path(os.environ.get("IXON_VENV") or root / ".venv").expanduser().absolute()
    if Path(sys.prefix).resolve() == env.resolve():
        return
    bin_dir = env / ("Scripts" if os.name == "nt" else "bin")
    if not any(env.glob("lib*/**/site-packages/ixon_devkit/__init__.py")) and not any(
        env.glob("Lib/site-packages/ixon_devkit/__init__.py")
    ):
        try:
            _install(root, env, bin_dir)
        except (OSError, subprocess.CalledProcessError) as error:
            sys.exit(f"ERROR: setting up {env} failed ({error}): read the output above, fix the "
                     "cause and run the task again")
    command = [str(bin_dir / "python"), "-m", module, *sys.argv[1:]]
    if os.name == "nt":
        sys.exit(subprocess.run(command).returncode)
    os.execv(command[0], command)


def _install(root, env, bin_dir):
    if not (env / "pyvenv.cfg").is_file() and env.is_dir() and any(env.iterdir()):
        sys.exit(f"ERROR: {env} is a folder that is not a virtual environment: move it away, or "
                 "set IXON_VENV to a new folder or an existing environment")
    python = _find_python(root)
    print(f"Setting up {env} (the first task here; later ones start at once)", file=sys.stderr)
    links = [f"--find-links={path}" for path in [root / ".devkit" / "wheels"] if path.is_dir()]
    lock = (root / LOCK).read_text() if (root / LOCK).is_file() else ""
    pin = None if "\nixon-devkit==" in lock and "\n<<<<<<<" not in lock else next(
        (line.split()[0] for line in (root / "requirements-dev.in").read_text().splitlines()
         if line.startswith("ixon-devkit==")), "ixon-devkit")  # mid-upgrade: the pin alone
    pip_only = os.environ.get("IXON_INSTALLER", "").strip().lower() == "pip"
    uv = None if pip_only else shutil.which("uv")
    if uv and not (env / "pyvenv.cfg").is_file():
        subprocess.run([uv, "venv", "--seed", "--quiet", "--python", python, str(env)], check=True)
    elif not uv:  # pip alone (IXON_INSTALLER=pip), or pip puts in the uv the lock pins first
        subprocess.run([python, "-m", "venv", str(env)], check=True)
        uv_pin = next((line.split()[0] for line in lock.splitlines() if line.startswith("uv==")),
                      "uv")
        pip = [str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        if pip_only or subprocess.run([*pip, "--quiet", uv_pin]).returncode != 0:
            subprocess.run([*pip, *links, *([pin] if pin else ["-r", LOCK])], check=True, cwd=root)
            return
        uv = str(bin_dir / "uv")
    sync = [uv, "pip", "install" if pin else "sync", "--compile-bytecode", "--python",
            str(bin_dir / "python"), *links, pin or str(root / LOCK)]
    subprocess.run(sync, check=True, cwd=root)


def _find_python(root):
    """The workspace's Python (`python_version` of workspace.json): IXON_PYTHON alone when set,
    else PATH, the py launcher, pyenv, uv."""
    version = json.loads((root / "workspace.json").read_text(encoding="utf-8"))["python_version"]
    check = "import sys; print('%d.%d' % sys.version_info[:2])"
    override = os.environ.get("IXON_PYTHON")
    if override:
        found = _ask([override, "-c", check])
        if found != version:
            what = f"is Python {found}, not {version}" if found else "does not run"
            sys.exit(f"ERROR: IXON_PYTHON={override} {what}: point it at a Python {version} "
                     "interpreter or unset it")
        return override
    found = [shutil.which(f"python{version}"), shutil.which("python3")]
    if os.name == "nt" and shutil.which("py"):
        found.append(_ask(["py", f"-{version}", "-c", "import sys; print(sys.executable)"]))
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for folder in sorted(pyenv.glob(f"versions/{version}*"), reverse=True):
        found += [str(folder / "bin" / f"python{version}"), str(folder / "python.exe")]
    if shutil.which("uv"):
        found.append(_ask(["uv", "python", "find", version]))
    for candidate in filter(None, found):
        if Path(candidate).exists() and _ask([candidate, "-c", check]) == version:
            return candidate
    sys.exit(f"ERROR: no Python {version} found (looked at IXON_PYTHON, PATH, the py launcher, "
             f"pyenv and uv): install it (`uv python install {version}`, pyenv or python.org), "
             "or set IXON_PYTHON to its path")


def _ask(command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


if __name__ == "__main__":  # `python3 -m bootstrap upgrade`: the tooling's tasks, no tasks.py
    enter(__file__, "ixon_devkit")
    import runpy

    runpy.run_module("ixon_devkit", run_name="__main__", alter_sys=True)
