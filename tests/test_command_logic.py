"""Pure decisions of the commands: paging flags, address lists, duplicate models, wait verdicts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from snet_cli_training.commands import models as commands
from snet_cli_training.commands import wait as waiting
from snet_cli_training.commands.invocation import Invocation
from snet_cli_training.console.streams import Console
from snet_cli_training.errors import ExitStatus, UserInputError


def _paging(**values):
    return Invocation(Console(), **values)


def test_paging_rules():
    assert commands.paging(_paging()) == (0, 0, False)
    assert commands.paging(_paging(page_size=5)) == (0, 5, False)
    assert commands.paging(_paging(page=2, page_size=5)) == (2, 5, False)
    assert commands.paging(_paging(all_pages=True)) == (0, 100, True)
    assert commands.paging(_paging(all_pages=True, page_size=7)) == (0, 7, True)


def test_new_address_list_keeps_the_creator_and_order():
    creator, a, b = "0xAAaa", "0xBbBb", "0xCCCC"
    assert commands.new_address_list([creator.lower(), a], creator, [b, a.lower()], []) == [creator, a, b]
    assert commands.new_address_list([a], creator, [], [a.upper().replace("0X", "0x")]) == [creator]
    with pytest.raises(UserInputError, match="always keeps access"):
        commands.new_address_list([creator], creator, [], [creator.lower()])


def test_duplicate_models_are_dropped_first_kept():
    models = [SimpleNamespace(model_id=i, n=n) for n, i in enumerate("abab c".replace(" ", ""))]
    assert [(m.model_id, m.n) for m in commands.unique_models(models)] == [("a", 0), ("b", 1), ("c", 4)]


@pytest.mark.parametrize(("status", "target", "expected"), [
    ("VALIDATING", "VALIDATED", None),
    ("VALIDATED", "VALIDATED", ExitStatus.OK),
    ("TRAINING", "VALIDATED", ExitStatus.OK),
    ("READY_TO_USE", "VALIDATED", ExitStatus.OK),
    ("CREATED", "READY_TO_USE", None),
    ("ERRORED", "READY_TO_USE", ExitStatus.MODEL_FAILED),
    ("DELETED", "VALIDATED", ExitStatus.MODEL_FAILED),
    ("ERRORED", "ERRORED", ExitStatus.OK),
])
def test_wait_verdicts(status, target, expected):
    assert waiting.verdict(status, target) == expected


def test_default_targets():
    assert waiting.default_target("VALIDATING") == "VALIDATED"
    assert waiting.default_target("TRAINING") == "READY_TO_USE"
    assert waiting.default_target("CREATED") is None
    assert waiting.verdict("ERRORED", waiting.default_target("ERRORED")) == ExitStatus.MODEL_FAILED


def test_polling_backs_off_to_thirty_seconds():
    pauses = waiting.intervals(2.0)
    seen = [next(pauses) for _ in range(12)]
    assert seen[0] == 2.0 and seen == sorted(seen) and seen[-1] == 30.0
