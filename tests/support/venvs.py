"""Throw-away virtual environments that see the installed snet-cli but none of the current .pth hooks.

The venv gets the base interpreter's site-packages as a plain path entry: its modules (snet-cli,
web3, grpc...) are importable, but .pth files there are not run, so whatever this checkout put
into the base environment (its start-up hook, an editable finder) is invisible. Each test then
installs the plugin into the venv the way a user would and looks at what the real `snet` does.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import subprocess
import sys
import sysconfig
import venv

SNET_SCRIPT = """#!{python}
import sys
from snet.cli import main
if __name__ == "__main__":
    sys.argv[0] = "snet"
    sys.exit(main())
"""


@dataclasses.dataclass
class Venv:
    root: pathlib.Path
    home: pathlib.Path

    @property
    def python(self) -> pathlib.Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> pathlib.Path:
        return pathlib.Path(subprocess.check_output(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(HOME=str(self.home), PATH=f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}")
        return env

    def pip(self, *args: str) -> subprocess.CompletedProcess:
        """The base environment's pip, acting on this venv (fast: no pip inside the venv)."""
        command = [sys.executable, "-m", "pip", "--python", str(self.python), "--disable-pip-version-check",
                   "-q", *args]
        return subprocess.run(command, capture_output=True, text=True, env=self.env(), timeout=300, check=True)

    def snet(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.root / "bin" / "snet"), *args], capture_output=True, text=True,
                              env=self.env(), timeout=timeout, stdin=subprocess.DEVNULL)

    def run_python(self, code: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.python), "-c", code], capture_output=True, text=True, env=self.env(), timeout=60)


def source_copy(where: pathlib.Path) -> pathlib.Path:
    """A copy of the checkout's sources to build from: concurrent builds never share its build/ folder."""
    import shutil

    root = pathlib.Path(__file__).resolve().parents[2]
    target = where / "source"
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__",
                                                                ".pytest_cache", ".hypothesis", ".ruff_cache"))
    return target


def make_venv(where: pathlib.Path) -> Venv:
    """A venv at `where`/venv with the base site-packages on its path and a `snet` script like pip makes."""
    root = where / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    made = Venv(root=root, home=where / "home")
    made.home.mkdir()
    (made.site_packages / "_base_site_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = root / "bin" / "snet"
    script.write_text(SNET_SCRIPT.format(python=made.python))
    script.chmod(0o755)
    return made
