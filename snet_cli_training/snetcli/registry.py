"""Services through snet-cli's registry and IPFS cache: a service's payment group, endpoint and proto packages.

Resolution goes through snet-cli's own MPEClientCommand helpers, so the plugin shares snet-cli's
cache under `~/.snet/mpe_client/` (an org or service read once is not read again until its
registration changes) and fails for the same reasons, with the plugin's errors.
"""

from __future__ import annotations

import re
from pathlib import Path

from snet_cli_training import errors
from snet_cli_training.services import Location, ServiceGroup, choose_group, fixed_price
from snet_cli_training.snetcli.session import SnetSession
from snet_cli_training.snetcli.translate import arguments, snet_cli, stdout_to

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_SERVICE = re.compile(r"^\s*service\s+(\w+)\s*\{", re.M)
_TRAINING_IMPORT = 'import "training.proto";'


def resolve_service(session: SnetSession, org_id: str, service_id: str, group_name: str | None = None,
                    endpoint: str | None = None) -> ServiceGroup:
    """ORG SERVICE [GROUP] [ENDPOINT] → the service's payment group and daemon endpoint."""
    command = session.command
    with arguments(command.args, org_id=org_id, service_id=service_id, endpoint=endpoint), \
            snet_cli(f"read service {org_id}/{service_id}", network=session.network), stdout_to(session.out):
        command._init_or_update_registered_org_if_needed()
        command._init_or_update_registered_service_if_needed()
        metadata = command._get_service_metadata()
        org_metadata = command._read_metadata_for_org(org_id)
    group = choose_group(metadata.m.get("groups", []), group_name, org_id, service_id)
    chosen = group["group_name"]
    with arguments(command.args, endpoint=endpoint, group_name=chosen), stdout_to(session.out), \
            snet_cli(f"find the daemon endpoint of {org_id}/{service_id} group {chosen} (pass --endpoint URL)"):
        daemon_endpoint = command._get_endpoint_from_metadata_or_args(metadata)
    payment_address = org_metadata.get_payment_address_for_group(chosen)
    if not payment_address:
        raise errors.ConfigurationError(f"organization {org_id} has no payment group {chosen} (the service's metadata names it)")
    return ServiceGroup(Location(org_id, service_id, chosen, daemon_endpoint), group["group_id"], payment_address,
                        fixed_price(group))


def _service_protos(session: SnetSession, org_id: str, service_id: str) -> list[str]:
    """The text of each .proto file of the service spec snet-cli keeps for the service."""
    with snet_cli("find the service's proto files"):
        spec_dir = Path(session.command.get_service_spec_dir(org_id, service_id))
    protos = sorted(spec_dir.rglob("*.proto")) if spec_dir.is_dir() else []
    return [proto.read_text(encoding="utf-8", errors="replace") for proto in protos]


def service_trains(session: SnetSession, org_id: str, service_id: str) -> bool:
    """Whether the service's API imports training.proto, the line snet-cli and the SDK detect training by."""
    return any(_TRAINING_IMPORT in text for text in _service_protos(session, org_id, service_id))


def service_packages(session: SnetSession, org_id: str, service_id: str) -> dict[str, str]:
    """Short service name → proto package, read from the service spec snet-cli keeps for the service."""
    packages: dict[str, str] = {}
    for text in _service_protos(session, org_id, service_id):
        package = _PACKAGE.search(text)
        for name in _SERVICE.findall(text):
            packages.setdefault(name, package.group(1) if package else "")
    return packages
