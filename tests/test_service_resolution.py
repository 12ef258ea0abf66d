"""services.py (method names, payment groups) and snet-cli's session check."""

from __future__ import annotations

import re

import pytest

from snet_cli_training import errors, services
from snet_cli_training.snetcli.session import SnetSession, check_session

ONE = {"Echo": ["answer"]}
MANY = {"Echo": ["answer", "shout"], "Other": ["answer"], "pkg.Full": ["train"]}


@pytest.mark.parametrize("name, methods, expected", [
    (None, ONE, ("Echo", "answer")),
    ("answer", ONE, ("Echo", "answer")),
    ("Echo.answer", ONE, ("Echo", "answer")),
    ("example.Echo.answer", ONE, ("Echo", "answer")),
    ("shout", MANY, ("Echo", "shout")),
    ("Other.answer", MANY, ("Other", "answer")),
    ("train", MANY, ("Full", "train")),
    ("pkg.Full.train", MANY, ("Full", "train")),
])
def test_resolve_method(name, methods, expected):
    assert services.resolve_method(name, methods) == expected


@pytest.mark.parametrize("name, methods, message", [
    (None, MANY, "several trainable methods, choose one with --method: Echo.answer, Echo.shout, Other.answer, Full.train"),
    ("answer", MANY, "'answer' is ambiguous: use one of Echo.answer, Other.answer"),
    ("nope", MANY, "trainable method not found: nope (trainable: Echo.answer, Echo.shout, Other.answer, Full.train)"),
    ("Nope.answer", MANY, "trainable method not found: Nope.answer"),
    ("Answer", ONE, "trainable method not found: Answer"),
    ("Echo.", ONE, "bad method name"),
    (None, {}, "no trainable methods"),
    ("answer", {"Echo": []}, "no trainable methods"),
])
def test_resolve_method_refuses_with_the_choices(name, methods, message):
    with pytest.raises(errors.UserInputError, match=re.escape(message)):
        services.resolve_method(name, methods)


GROUPS = [
    {"group_name": "default_group", "group_id": "AAA=", "pricing": [{"price_model": "fixed_price", "price_in_cogs": 10}]},
    {"group_name": "eu", "group_id": "BBB=", "pricing": [{"price_model": "method_price"}]},
]


def test_choose_group():
    assert services.choose_group(GROUPS[:1], None, "o", "s")["group_id"] == "AAA="
    assert services.choose_group(GROUPS, "eu", "o", "s")["group_id"] == "BBB="
    with pytest.raises(errors.UserInputError, match="several payment groups, choose one with --group: default_group, eu"):
        services.choose_group(GROUPS, None, "o", "s")
    with pytest.raises(errors.UserInputError, match=r"payment group not found: us \(the groups of o/s: default_group, eu\)"):
        services.choose_group(GROUPS, "us", "o", "s")
    with pytest.raises(errors.ConfigurationError):
        services.choose_group([], None, "o", "s")


def test_fixed_price():
    assert services.fixed_price(GROUPS[0]) == 10
    assert services.fixed_price(GROUPS[1]) is None


def test_session_without_identity_is_a_configuration_error(tmp_path, capsys):
    from snet.cli.config import Config

    config = Config(_snet_folder=tmp_path)
    capsys.readouterr()
    with pytest.raises(errors.ConfigurationError, match="no identity in snet-cli's session: create one with `snet identity"):
        SnetSession(config, wallet_index=0, out=None).identity()
    assert capsys.readouterr().out == ""


def test_session_with_identity_names_identity_and_network(tmp_path):
    from snet.cli.config import Config

    config = Config(_snet_folder=tmp_path)
    config.add_identity("alice", {"identity_type": "key", "private_key": "0x" + "44" * 32}, out_f=None)
    assert check_session(config) == ("alice", config.get_session_network_name())
    config["session"]["identity"] = "ghost"
    with pytest.raises(errors.ConfigurationError, match="section identity.ghost is absent"):
        check_session(config)
