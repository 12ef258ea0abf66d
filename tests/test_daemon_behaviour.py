"""The pure judgement of a daemon's upload behaviour, the heartbeat cache and doctor's check rules (no network)."""

from __future__ import annotations

import json
import os

import pytest

from snet_cli_training.daemon.behaviour import HeartbeatFacts, Verdict, judge, upload_refusal
from snet_cli_training.daemon.canary import canary_message, canary_rejected
from snet_cli_training.daemon.heartbeat import HeartbeatReply, heartbeat_url
from snet_cli_training.daemon.heartbeat_cache import CACHE_SECONDS, HeartbeatCache
from snet_cli_training.daemon.probe import PreRead
from snet_cli_training.diagnosis import report
from snet_cli_training.diagnosis.daemon_checks import connection_check, hazards_check, heartbeat_check, limits_text
from snet_cli_training.errors import DaemonError

OLD = {"daemonVersion": "v6.0.0", "trainingEnabled": True, "trainingInProto": True, "trainingMethods": [],
       "dynamicPricing": False, "blockchainNetwork": "sepolia", "status": "Online"}
NEW = {"daemonVersion": "v6.2.3", "trainingMetadata": {"trainingEnabled": True}, "blockchainNetwork": "main",
       "status": "Online"}


def facts(base: dict, **changes) -> HeartbeatFacts:
    return HeartbeatFacts.from_document({**base, **changes})


@pytest.mark.parametrize(("document", "version"), [
    (OLD, (6, 0, 0)), ({**OLD, "daemonVersion": "v5.2.1"}, (5, 2, 1)), (NEW, (6, 2, 3)),
    ({**NEW, "daemonVersion": "v6.1.0"}, (6, 1, 0)),
    ({**NEW, "daemonVersion": ""}, None), ({**NEW, "daemonVersion": "dev"}, None), ({**NEW, "daemonVersion": "6.1.0"}, None),
    ({**NEW, "daemonVersion": "6.2.3"}, None), ({**NEW, "daemonVersion": "v6.2.3-rc1"}, None),
    ({**OLD, "daemonVersion": "v6.2.3"}, None),  # old fields cannot come from v6.2.3
    ({**NEW, "daemonVersion": "v6.0.0"}, None),  # nor new ones from v6.0.0
    ({k: v for k, v in NEW.items() if k != "daemonVersion"}, None),
])
def test_a_version_is_believed_only_when_official_and_consistent_with_the_fields(document, version):
    assert HeartbeatFacts.from_document(document).version == version


def test_training_is_read_from_either_heartbeat_shape():
    assert facts(OLD).training_enabled is True and facts(OLD, trainingEnabled=False).training_enabled is False
    assert facts(NEW).training_enabled is True
    assert HeartbeatFacts.from_document({"daemonVersion": "v6.1.0"}).training_enabled is False  # metadata omitted
    assert facts(OLD, dynamicPricing=True).release() == "snet-daemon v6.0.0"
    assert facts(OLD, daemonVersion="dev", dynamicPricing=True).release() == \
        "snet-daemon v5.2 to v6.0.0 with dynamic pricing on"
    assert facts(NEW, daemonVersion="6.1.0").release() == "snet-daemon v6.1.0 or newer, its heartbeat says version '6.1.0'"


@pytest.mark.parametrize(("heartbeat", "pre_read", "verdict", "mode"), [
    (None, PreRead.NONE, Verdict.WORKS, "plain"),
    (NEW, PreRead.NONE, Verdict.WORKS, "plain"),  # the probe is the evidence, whatever the version says
    (NEW, PreRead.PRE_READS, Verdict.FAILS, "refuse"),
    ({**NEW, "daemonVersion": "v6.2.0"}, PreRead.PRE_READS, Verdict.FAILS, "refuse"),
    ({**NEW, "daemonVersion": "v6.1.0"}, PreRead.PRE_READS, Verdict.DROPS_FIRST, "canary"),
    ({**NEW, "daemonVersion": "v6.3.0"}, PreRead.PRE_READS, Verdict.DROPS_OR_FAILS, "canary"),
    ({**NEW, "daemonVersion": "dev"}, PreRead.PRE_READS, Verdict.DROPS_OR_FAILS, "canary"),
    ({**OLD, "dynamicPricing": True}, PreRead.PRE_READS, Verdict.DROPS_FIRST, "canary"),
    ({**OLD, "daemonVersion": ""}, PreRead.PRE_READS, Verdict.DROPS_FIRST, "canary"),
    (None, PreRead.PRE_READS, Verdict.DROPS_OR_FAILS, "canary"),
    (NEW, PreRead.UNCLEAR, Verdict.UNKNOWN, "canary"),
])
def test_only_the_probe_decides_plain_and_only_an_official_v6_2_is_refused(heartbeat, pre_read, verdict, mode):
    behaviour = judge(HeartbeatFacts.from_document(heartbeat) if heartbeat else None, pre_read)
    assert (behaviour.verdict, behaviour.mode) == (verdict, mode)
    assert behaviour.claimed_version == (heartbeat or {}).get("daemonVersion")


def test_the_refusal_names_release_and_the_way_out():
    behaviour = judge(facts(NEW), PreRead.PRE_READS)
    text = upload_refusal("https://d:7000", behaviour, "m1", signed=False)
    assert "https://d:7000 (snet-daemon v6.2.3) fails every upload" in text and "nothing was signed or paid" in text
    assert "`snet training validate m1 --link URL`" in text
    assert "nothing was charged" in upload_refusal("https://d:7000", behaviour, "m1", signed=True)


def test_the_canary_carries_the_uploads_fields_and_no_data():
    canary = canary_message("m1", "d.zip", 10, 4, 3)
    assert (canary.model_id, canary.data, canary.file_name, canary.file_size, canary.batch_size, canary.batch_number,
            canary.batch_count) == ("m1", b"", "d.zip", 10, 4, 1, 3)
    assert canary_rejected(DaemonError("x", details="invalid request: no authorization provided"))
    assert not canary_rejected(DaemonError("x", details="invalid request: no authorization provided: "
                                                        "authentication failed as the signature passed has expired"))


@pytest.mark.parametrize(("endpoint", "url"), [("https://d.example:7000", "https://d.example:7000/heartbeat"),
                                               ("http://127.0.0.1:5", "http://127.0.0.1:5/heartbeat"),
                                               ("d.example:7000", "http://d.example:7000/heartbeat"),
                                               ("https://d.example", "https://d.example:443/heartbeat")])
def test_the_heartbeat_follows_the_endpoints_scheme(endpoint, url):
    assert heartbeat_url(endpoint) == url


def test_the_heartbeat_cache_asks_once_per_endpoint_until_it_is_stale(tmp_path):
    now, asked = [1000.0], []

    def fetch(endpoint: str) -> HeartbeatReply:
        asked.append(endpoint)
        return HeartbeatReply(dict(NEW)) if endpoint == "http://a:1" else HeartbeatReply(None, "refused")

    cache = HeartbeatCache(tmp_path / "daemons.json", clock=lambda: now[0], fetch=fetch)
    assert cache.facts("http://a:1")[0].claimed_version == "v6.2.3"
    assert cache.facts("http://b:1") == (None, "refused")
    now[0] += CACHE_SECONDS - 1
    again = HeartbeatCache(tmp_path / "daemons.json", clock=lambda: now[0], fetch=fetch)  # another process
    assert again.facts("http://a:1")[0] == facts(NEW) and again.facts("http://b:1") == (None, "refused")
    assert asked == ["http://a:1", "http://b:1"]
    now[0] += 2
    again.facts("http://a:1")
    assert asked == ["http://a:1", "http://b:1", "http://a:1"]
    assert os.stat(tmp_path / "daemons.json").st_mode & 0o777 == 0o600


def test_a_corrupt_cache_is_ignored_with_one_warning(tmp_path):
    path = tmp_path / "daemons.json"
    path.write_text(json.dumps({"format": "snet-cli-training/daemons", "version": 1,
                                "entries": {"http://a:1": {"checked_at": "soon", "facts": None, "problem": ""}}}))
    path.chmod(0o600)
    warnings: list[str] = []
    cache = HeartbeatCache(path, warn=warnings.append, fetch=lambda _e: HeartbeatReply(None, "refused"))
    assert cache.facts("http://a:1") == (None, "refused")
    assert len(warnings) == 1 and "unexpected content" in warnings[0]


@pytest.mark.parametrize(("endpoint", "connected", "status"), [
    ("https://d.example:7000", "ready", "ok"), ("http://127.0.0.1:7000", "ready", "ok"),
    ("http://d.example:7000", "ready", "warn"), ("https://d.example:7000", "failed", "fail"),
    ("http://d.example:7000", "timeout", "fail")])
def test_connection_check(endpoint, connected, status):
    assert connection_check(endpoint, connected, 5).status == status


@pytest.mark.parametrize(("network", "session", "chain_id", "status"), [
    ("sepolia", "sepolia", 11155111, "ok"), ("main", "mainnet", 1, "ok"), ("main", "sepolia", 11155111, "fail"),
    ("local", "local", 1337, "ok"), ("devnet", "local", 1337, "warn"), ("sepolia", "local", 1337, "fail")])
def test_the_heartbeats_network_is_compared_by_chain_id_when_its_name_is_known(network, session, chain_id, status):
    assert heartbeat_check(facts(NEW, blockchainNetwork=network), "", session, chain_id).status == status


def test_no_heartbeat_or_a_daemon_not_online_is_only_a_warning():
    assert heartbeat_check(None, "refused", "local", 1337).status == "warn"
    assert heartbeat_check(facts(NEW, status="Offline", blockchainNetwork="local"), "", "local", 1337).status == "warn"


def test_hazards_that_apply_by_release_and_method_limits():
    limited = {"Echo.answer": {"dataset_max_size_mb": 10}}
    v5 = hazards_check(facts(OLD, daemonVersion="v5.2.0"), judge(facts(OLD, daemonVersion="v5.2.0"), PreRead.NONE),
                       limited)
    assert v5.status == "warn" and "channel locked" in v5.message and "VALIDATING" in v5.message
    v62 = judge(facts(NEW), PreRead.PRE_READS)
    assert hazards_check(facts(NEW), v62, limited).status == "ok"
    unlimited = hazards_check(facts(NEW), v62, {"Echo.answer": {"dataset_max_size_mb": 0}})
    assert unlimited.status == "warn" and "Echo.answer" in unlimited.message and "--link" in unlimited.message
    assert limits_text({"dataset_max_size_mb": 10, "dataset_type": "zip"}) == "at most 10 MB, archives zip"
    assert limits_text({}) == "no dataset limits declared"


def test_the_report_fails_only_on_a_failed_check_and_prints_one_line_each():
    checks = [report.ok("session", "fine"), report.warn("upload", "canary", "none needed"),
              report.fail("channel", "no channel", "snet channel open ...")]
    assert report.document(checks[:2])["ok"] is True and report.document(checks)["ok"] is False
    assert report.text(checks).splitlines() == [
        "ok    session  fine", "warn  upload   canary -- fix: none needed",
        "fail  channel  no channel -- fix: snet channel open ...", "1 check(s) fail"]
    with pytest.raises(ValueError):
        report.Check("x", "maybe", "?")
