"""Where a model lives and how its service is paid, and the pure rules that pick a group and a method.

A `Location` (organization, service, payment group, daemon endpoint) is the one record of
"where": the store keeps it per model, a `ServiceGroup` adds what paying that group needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from snet_cli_training.console.render import not_found
from snet_cli_training import errors


@dataclass(frozen=True)
class Location:
    """A service's payment group and the daemon endpoint that serves it."""

    org_id: str
    service_id: str
    group_name: str
    endpoint: str

    @property
    def service(self) -> str:
        """`org/service`, as messages name it."""
        return f"{self.org_id}/{self.service_id}"


@dataclass(frozen=True)
class ServiceGroup:
    """A located payment group with what paying it needs (from the organization and service metadata)."""

    location: Location
    group_id: str  # base64, as in the metadata
    payment_address: str
    price_in_cogs: int | None  # the group's fixed call price; None when it has no fixed price


def choose_group(groups: list[Mapping[str, Any]], wanted: str | None, org: str, service: str) -> Mapping[str, Any]:
    """The service metadata's group named `wanted`, or its only group; UserInputError lists the choices."""
    names = [group["group_name"] for group in groups]
    if not groups:
        raise errors.ConfigurationError(f"service {org}/{service} has no payment group in its metadata")
    if wanted:
        for group in groups:
            if group["group_name"] == wanted:
                return group
        raise errors.UserInputError(not_found("payment group", wanted, f"the groups of {org}/{service}: {', '.join(names)}"))
    if len(groups) > 1:
        raise errors.UserInputError(f"service {org}/{service} has several payment groups, choose one with --group: {', '.join(names)}")
    return groups[0]


def fixed_price(group: Mapping[str, Any]) -> int | None:
    """The group's `fixed_price` in cogs, or None."""
    for pricing in group.get("pricing", []):
        if pricing.get("price_model") == "fixed_price":
            return int(pricing["price_in_cogs"])
    return None


def trainable_methods(training_metadata: Mapping[str, Any], endpoint: str) -> dict[str, list[str]]:
    """{short service name: [method, ...]} of a daemon's training metadata; TrainingDisabled when it has none."""
    if not training_metadata["trainingEnabled"]:
        raise errors.TrainingDisabled(f"training is not enabled on the daemon at {endpoint}", endpoint=endpoint)
    return dict(training_metadata["trainingMethods"])


def resolve_method(name: str | None, training_methods: Mapping[str, list[str]]) -> tuple[str, str]:
    """`Method`, `Service.Method` or `package.Service.Method` → (short service, method) among the trainable ones.

    With no name, the only trainable method. UserInputError lists the choices otherwise.
    """
    pairs = [(short_name(service), method) for service, methods in training_methods.items() for method in methods]
    choices = ", ".join(f"{service}.{method}" for service, method in pairs) or "none"
    if not pairs:
        raise errors.UserInputError("the service has no trainable methods")
    if name is None:
        if len(pairs) == 1:
            return pairs[0]
        raise errors.UserInputError(f"the service has several trainable methods, choose one with --method: {choices}")
    service_part, _, method = name.rpartition(".")
    if not method:
        raise errors.UserInputError(f"bad method name {name!r}: use Method, Service.Method or package.Service.Method")
    matches = [(service, candidate) for service, candidate in pairs
               if candidate == method and (not service_part or short_name(service_part) == service)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        options = ", ".join(f"{service}.{candidate}" for service, candidate in matches)
        raise errors.UserInputError(f"method {name!r} is ambiguous: use one of {options}")
    raise errors.UserInputError(not_found("trainable method", name, f"trainable: {choices}"))


def short_name(service: str) -> str:
    """`package.Service` → `Service` (the daemon keys methods by the short name)."""
    return service.rpartition(".")[2]


def full_method_name(packages: Mapping[str, str], service: str, method: str) -> str:
    """`package.Service.method` when the service's proto package is known, else `Service.method`."""
    package = packages.get(service, "")
    return f"{package}.{service}.{method}" if package else f"{service}.{method}"
