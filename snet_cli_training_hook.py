"""Start-up hook that gives stock snet-cli a plugin group: `snet_cli.plugins` entry points.

A `.pth` file imports this module at every interpreter start. It only puts a one-shot
finder on `sys.meta_path`; nothing else happens until `snet.cli.arguments` is imported.
Then `add_root_options` is wrapped so that, after snet-cli's own groups, every installed
`snet_cli.plugins` entry point is called with the root parser's sub-parsers action and
snet-cli's Config. A plugin that fails to load costs one warning line on stderr; `snet`
keeps its stock commands.

For `snet training ... --json` the hook also keeps stdout for the one JSON document: snet-cli
prints notices on stdout before any command runs (the first run's "We've created configuration
file ..." comes from `Config()` in `main()`), so from the moment snet-cli's argument module loads,
whatever is printed on stdout goes to stderr, and the plugin writes its document to the real
stdout (`held_stdout()`).
"""

import os
import sys

_TARGET = "snet.cli.arguments"
_GROUP = "snet_cli.plugins"
_MARK = "_snet_cli_plugins_loaded"
_JSON_COMMAND = "training"
_held_stdout = None


def _warn(message):
    sys.stderr.write(f"WARNING: {message}\n")


def _subparsers_action(parser):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def load_plugins(parser, config):
    """Call every `snet_cli.plugins` entry point once for this parser (idempotent per parser)."""
    if getattr(parser, _MARK, False):
        return
    setattr(parser, _MARK, True)
    subparsers = _subparsers_action(parser)
    if subparsers is None:
        _warn("snet-cli plugins not loaded: the root parser has no sub-commands")
        return
    from importlib.metadata import entry_points

    seen = set()
    for entry in sorted(entry_points(group=_GROUP), key=lambda e: e.name):
        if entry.name in seen or entry.name in subparsers.choices:
            _warn(f"snet-cli plugin '{entry.name}' ({entry.value}) skipped: the command name is taken")
            continue
        seen.add(entry.name)
        try:
            entry.load()(subparsers, config)
        except Exception as exc:  # noqa: BLE001 -- a broken plugin must never take stock snet down
            _warn(f"snet-cli plugin '{entry.name}' ({entry.value}) failed to load: {type(exc).__name__}: {exc}")


def is_json_run(argv):
    """Whether ARGV is `snet [--print-traceback] training ... --json` (not --help, nothing after `--`)."""
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if program.split(".")[0] not in ("snet", "snet-script") and not argv[0].endswith(
            os.path.join("snet_cli_training", "__main__.py")):
        return False
    args = list(argv[1:])
    if "--" in args:
        args = args[:args.index("--")]
    if args[:1] == ["--print-traceback"]:
        args = args[1:]
    if args[:1] != [_JSON_COMMAND] or "-h" in args or "--help" in args:
        return False
    return any(len(arg) > 3 and "--json".startswith(arg) for arg in args)  # argparse takes --jso for --json


def hold_stdout(argv):
    """In a `--json` run (see is_json_run), send stdout's text to stderr and keep stdout for the plugin (idempotent)."""
    global _held_stdout
    if _held_stdout is None and is_json_run(argv):
        _held_stdout = sys.stdout
        sys.stdout = sys.stderr


def held_stdout():
    """The real stdout while hold_stdout keeps it for the plugin's JSON document; None otherwise."""
    return _held_stdout


def _patch(module):
    try:
        hold_stdout(getattr(sys, "argv", []))
    except Exception:  # noqa: BLE001 -- keeping stdout clean must never cost the plugins
        pass
    original = module.add_root_options
    if getattr(original, _MARK, False):
        return

    def add_root_options(parser, config):
        original(parser, config)
        load_plugins(parser, config)

    add_root_options.__doc__ = original.__doc__
    setattr(add_root_options, _MARK, True)
    module.add_root_options = add_root_options


class _PatchingLoader:
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        try:
            _patch(module)
        except Exception as exc:  # noqa: BLE001 -- never break snet start-up
            _warn(f"snet-cli plugins not loaded: {type(exc).__name__}: {exc}")

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _Finder:
    """One-shot meta-path finder: wraps the loader of snet.cli.arguments, then leaves."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != _TARGET:
            return None
        _remove_finder()
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)
        return spec

    @classmethod
    def invalidate_caches(cls):
        pass


def _remove_finder():
    if _Finder in sys.meta_path:
        sys.meta_path.remove(_Finder)


def _interrupted_while_starting(signum, frame):
    sys.stderr.write("ERROR: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def quiet_interrupts_while_starting(argv):
    """In a `snet training` process, Ctrl-C before the plugin runs exits 130 without snet-cli's import traceback.

    The plugin puts Python's own handler back when its command starts.
    """
    words = [word for word in argv[1:] if not word.startswith("-")]
    if os.path.basename(argv[0] if argv else "") == "snet" and words[:1] == ["training"]:
        import signal

        signal.signal(signal.SIGINT, _interrupted_while_starting)


def install():
    """Arm the hook (idempotent); patch at once when snet-cli's argument module is already loaded."""
    loaded = sys.modules.get(_TARGET)
    if loaded is not None:
        _patch(loaded)
    elif not any(getattr(f, "__name__", "") == "_Finder" and getattr(f, "__module__", "") == __name__
                 for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder)


try:
    install()
    quiet_interrupts_while_starting(getattr(sys, "argv", []))
except Exception:  # noqa: BLE001 -- never break interpreter start-up
    pass
