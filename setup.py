"""Only what setup.cfg cannot say: put the start-up hook's .pth file into site-packages."""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "snet_cli_training_hook.pth"


class BuildPyWithHook(build_py):
    """Copy the .pth next to the packages: into the wheel's root, or the editable wheel's folder."""

    def run(self):
        super().run()
        here = os.path.dirname(os.path.abspath(__file__))
        targets = [self.build_lib]
        if getattr(self, "editable_mode", False):
            targets.append(self.get_finalized_command("install").install_lib or self.build_lib)
        for target in targets:
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(os.path.join(here, PTH), os.path.join(target, PTH))

    def get_outputs(self, include_bytecode=True):
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithHook})
