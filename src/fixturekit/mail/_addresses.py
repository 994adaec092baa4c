"""Mail addresses: what a server accepts (`address_problem`), and reading them from arguments."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["address_list", "address_problem", "format_address", "split_display", "unique"]

_ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\u0080-\U0010ffff"
_LETTER = "A-Za-z0-9\u0080-\U0010ffff"
_LABEL = f"[{_LETTER}](?:[{_LETTER}\\-]*[{_LETTER}])?"
_FAST_ADDRESS = re.compile(f"[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*@{_LABEL}(?:\\.{_LABEL})+\\Z")
_LOCAL_PART = re.compile(f'(?:[{_ATEXT}]+(?:\\.[{_ATEXT}]+)*|"(?:[^"\\\\\\r\\n]|\\\\.)*")\\Z')
_DOMAIN = re.compile(f"{_LABEL}(?:\\.{_LABEL})*\\Z")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_ADDRESS_LITERAL = re.compile(rf"\[(?:{_OCTET}(?:\.{_OCTET}){{3}}|IPv6:[0-9A-Fa-f:.]+)\]\Z")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
_DISPLAY_FORM = re.compile(r"\s*(?P<name>.*?)\s*<(?P<address>[^<>]*)>\s*\Z", re.S)


def address_problem(address: str) -> str | None:
    """What is wrong with the mailbox ``address`` (``local@domain``), or None if nothing.

    Checks what a receiving server or a provider checks at send time: one ``@``, a
    local part of atoms or a quoted string (at most 64 octets), a domain of host-name
    labels with a dot (``localhost`` and address literals such as ``[192.0.2.1]`` aside),
    and the lengths RFC 5321 allows. Non-ASCII addresses (SMTPUTF8) are accepted.
    """
    size = len(address.encode("utf-8", "surrogatepass"))
    if _FAST_ADDRESS.match(address) is not None:
        local, _, domain = address.rpartition("@")
        if (
            size <= 254
            and len(local.encode("utf-8", "surrogatepass")) <= 64
            and all(len(label) <= 63 for label in domain.split("."))
        ):
            return None
    if not address:
        return "it is empty"
    if _SPACE.search(address) and not address.startswith('"'):
        return "it contains whitespace or a control character"
    local, at, domain = address.rpartition("@")
    if not at:
        return "it has no '@' (an address is local-part@domain, such as ada@example.com)"
    if not local:
        return "nothing comes before the '@'"
    if not domain:
        return "nothing comes after the '@'"
    if "@" in local and not local.startswith('"'):
        return "it has more than one '@'"
    if _LOCAL_PART.match(local) is None:
        if local.startswith(".") or local.endswith(".") or ".." in local:
            return f"the local part {local!r} has a leading, trailing or doubled dot"
        return f"the local part {local!r} has characters that need quoting"
    if len(local.encode("utf-8", "surrogatepass")) > 64:
        return f"the local part is longer than 64 octets ({len(local.encode())})"
    if domain.startswith("["):
        if _ADDRESS_LITERAL.match(domain) is None:
            return f"the address literal {domain!r} is not an IPv4 or IPv6: address"
    elif _DOMAIN.match(domain) is None:
        return (
            f"the domain {domain!r} is not a host name (letters, digits and inner "
            "hyphens, in dot-separated labels)"
        )
    elif "." not in domain and domain.lower() != "localhost":
        return f"the domain {domain!r} has no dot, so no provider would deliver to it"
    elif any(len(label) > 63 for label in domain.split(".")):
        return "a label of the domain is longer than 63 characters"
    if size > 254:
        return f"it is longer than 254 octets ({size})"
    return None


def split_display(value: object, what: str) -> tuple[str, str]:
    """``'Ada <ada@example.com>'`` -> ``('Ada', 'ada@example.com')``; bare -> ``('', addr)``."""
    if not isinstance(value, str):
        raise TypeError(
            f"{what} must be an address such as 'ada@example.com' or 'Ada <ada@example.com>', "
            f"not {value!r}"
        )
    if "<" not in value:
        return "", value.strip()
    match = _DISPLAY_FORM.match(value)
    if match is None:
        raise ValueError(
            f"{what}: cannot read {value!r} as an address; write 'ada@example.com' or "
            "'Ada Lovelace <ada@example.com>' (one address per string; pass a list for several)"
        )
    name = match["name"]
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return name, match["address"].strip()


def address_list(value: object, what: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [split_display(value, what)]
    if isinstance(value, (list, tuple)):
        return [split_display(item, what) for item in value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return [split_display(item, what) for item in list(value)]
    raise TypeError(
        f"{what} must be an address or a list of addresses such as ['ada@example.com'], "
        f"not {value!r}"
    )


def format_address(name: str, address: str) -> str:
    if not name:
        return address
    if re.search(r'[()<>\[\]:;@\\,."]', name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for address in addresses:
        key = address.lower()
        if key not in seen:
            seen.add(key)
            out.append(address)
    return out
