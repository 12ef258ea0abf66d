"""The plugin reaches stock `snet` through its entry point and start-up hook, however it is installed."""

from __future__ import annotations

import json
import pathlib
import subprocess
import textwrap

import pytest

from tests.support.venvs import make_venv, source_copy



def _has_training(result: subprocess.CompletedProcess) -> bool:
    return result.returncode == 0 and "check-dataset" in result.stdout


def _no_trace_left(site_packages: pathlib.Path) -> list[str]:
    return [p.name for p in site_packages.iterdir() if "snet_cli_training" in p.name.lower()
            or "snet-cli-training" in p.name.lower()]


def test_stock_snet_of_a_fresh_venv_has_no_training(tmp_path):
    stock_help = make_venv(tmp_path).snet("--help")
    assert stock_help.returncode == 0 and "training" not in stock_help.stdout


# "regular" is how a wheel installs too: pip builds the wheel from the sources and installs that.
@pytest.mark.slow(10)
@pytest.mark.parametrize("mode", ["regular", "editable", "editable-strict", "editable-compat"])
def test_install_modes_put_training_into_stock_snet_and_uninstall_removes_every_trace(tmp_path, mode):
    env = make_venv(tmp_path)
    extra = {"regular": [], "editable": ["-e"], "editable-strict": ["--config-settings", "editable_mode=strict", "-e"],
             "editable-compat": ["--config-settings", "editable_mode=compat", "-e"]}[mode]
    env.pip("install", "--no-deps", "--no-build-isolation", *extra, str(source_copy(tmp_path)))

    assert (env.site_packages / "snet_cli_training_hook.pth").exists()
    helped = env.snet("training", "--help")
    assert _has_training(helped), helped.stderr

    env.pip("uninstall", "-y", "snet-cli-training")
    assert _no_trace_left(env.site_packages) == []
    left = env.run_python("import sys, importlib.util as u; sys.path.remove(''); "  # not the checkout: what is installed
                          "print(u.find_spec('snet_cli_training'), u.find_spec('snet_cli_training_hook'))")
    assert left.stdout.split() == ["None", "None"], left.stderr
    if mode == "regular":  # and stock snet parses its whole command line again, with no training in it
        gone = env.snet("training", "--help")
        assert gone.returncode == 2 and "invalid choice: 'training'" in gone.stderr and "'version'" in gone.stderr


ONE_VENV = pytest.mark.xdist_group("plugin_venv")  # the tests of one module-wide venv run on one worker


def _fake_plugin(where: pathlib.Path, name: str, body: str) -> pathlib.Path:
    project = where / f"{name}_project"
    project.mkdir()
    (project / f"{name}.py").write_text(textwrap.dedent(body))
    (project / "setup.cfg").write_text(textwrap.dedent(f"""\
        [metadata]
        name = {name.replace('_', '-')}
        version = 1.0
        [options]
        py_modules = {name}
        [options.entry_points]
        snet_cli.plugins =
            {name.split('_')[0]} = {name}:register
        """))
    (project / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n')
    return project


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory):
    where = tmp_path_factory.mktemp("plugins")
    env = make_venv(where)
    env.pip("install", "--no-deps", "--no-build-isolation", str(source_copy(where)))
    return where, env


@pytest.fixture(scope="module")
def other_plugins(plugin_venv):
    """Three more plugins of the group in the venv, installed at once: one that works, one broken, one taking `version`."""
    where, env = plugin_venv
    projects = [_fake_plugin(where, "hello_plugin", """\
        def register(subparsers, config):
            p = subparsers.add_parser("hello", help="say hello")
            p.set_defaults(cmd=Hello, fn="run")

        class Hello:
            def __init__(self, config, args):
                pass
            def run(self):
                print("hello from a second plugin")
        """), _fake_plugin(where, "broken_plugin", """\
        raise ImportError("this plugin is broken on purpose")
        """), _fake_plugin(where, "version_plugin", """\
        def register(subparsers, config):
            raise AssertionError("must not be called")
        """)]
    env.pip("install", "--no-deps", "--no-build-isolation", *map(str, projects))
    yield env
    env.pip("uninstall", "-y", "hello-plugin", "broken-plugin", "version-plugin")


@ONE_VENV
@pytest.mark.slow(20)
def test_a_second_plugin_in_the_same_group_works_too(other_plugins):
    said = other_plugins.snet("hello")
    assert said.returncode == 0 and said.stdout.strip().endswith("hello from a second plugin"), said.stderr
    assert _has_training(other_plugins.snet("training", "--help"))


@ONE_VENV
def test_a_broken_plugin_costs_one_warning_line_and_a_taken_name_is_skipped(other_plugins):
    result = other_plugins.snet("version")
    assert result.returncode == 0 and "version" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    broken = [line for line in warnings if line.startswith("WARNING: snet-cli plugin 'broken'")]
    skipped = [line for line in warnings if line.startswith("WARNING: snet-cli plugin 'version'")]
    assert len(broken) == 1 and "this plugin is broken on purpose" in broken[0], result.stderr
    assert len(skipped) == 1 and "skipped: the command name is taken" in skipped[0], result.stderr
    assert sorted(warnings) == sorted(broken + skipped)  # nothing else: snet keeps working


@ONE_VENV
def test_the_hook_is_inert_without_snet_cli(plugin_venv):
    _, env = plugin_venv
    result = env.run_python("import sys; print('snet.cli.arguments' in sys.modules, 'snet_cli_training' in sys.modules)")
    assert result.returncode == 0 and result.stdout.split() == ["False", "False"], result.stderr


@ONE_VENV
def test_the_installed_package_carries_the_sandbox_and_its_service_protos(plugin_venv, tmp_path):
    _, env = plugin_venv
    code = textwrap.dedent("""\
        import json, sys
        from snet_cli_training.sandbox import catalog, provision
        from snet_cli_training.sandbox.daemon.service_spec import ServiceSpec
        demo = catalog.CLASSIFIER.proto_files[0]
        print(json.dumps({"proto": str(provision.PROTO_PATH), "exists": provision.PROTO_PATH.is_file(),
                          "trainable": ServiceSpec(str(provision.PROTO_PATH)).trainable_methods(),
                          "demo_trainable": ServiceSpec(demo).trainable_methods(),
                          "eth_tester": "eth_tester" in sys.modules}))
        """)
    # Another cwd than the checkout, so that only the installed copy can be imported.
    result = subprocess.run([str(env.python), "-c", code], capture_output=True, text=True, env=env.env(), cwd=tmp_path,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert pathlib.Path(found["proto"]).is_relative_to(env.site_packages) and found["exists"]
    assert found["trainable"] == {"Echo": ["answer"]}
    assert found["demo_trainable"] == {"Classifier": ["classify"]}
    assert found["eth_tester"] is False
