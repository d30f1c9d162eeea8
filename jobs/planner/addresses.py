"""Which IP addresses a webhook may be sent to, and which host names are IP
addresses in disguise (pure; the settings check and the sender share it).

A public address is a global unicast one. Python's `is_global` alone lets
through multicast, IPv6 site-local (fec0::/10) and every IPv6 form that
embeds an IPv4 address, so those are judged here:

- IPv4-mapped ::ffff:a.b.c.d (RFC 4291 2.5.5.2), NAT64 64:ff9b::/96 (RFC 6052)
  and 6to4 2002::/16 (RFC 3056) reach the IPv4 address they embed, so they
  are public only if it is: `[64:ff9b::7f00:1]` is loopback;
- IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 2.5.5.1) and local-use
  NAT64 64:ff9b:1::/48 (RFC 8215) are never public.

Host names: URL parsers and the resolver read `0x7f.0.0.1`, `0177.0.0.1`,
`127.1` and `2130706433` as 127.0.0.1 (inet_aton's forms: one to four
parts, each decimal, octal with a leading 0, or hex with 0x). The WHATWG URL
standard treats any host whose last label is such a number as an IPv4
address ("ends in a number", https://url.spec.whatwg.org/#ends-in-a-number-checker).
`numeric_host` reads them the same way, so a disguised address is judged as
the address it is.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")


class NotAnAddress(ValueError):
    """A host that looks numeric but is no IPv4 address (e.g. `1.2.3.4.5`, `0x1g`)."""


def _part_value(part: str) -> int:
    if not _PART.match(part):
        raise NotAnAddress(part)
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        if not all(c in "01234567" for c in part):
            raise NotAnAddress(part)
        return int(part, 8)
    return int(part)


def ends_in_a_number(host: str) -> bool:
    """WHATWG: the last label (a trailing dot ignored) is all digits or 0x-hex."""
    labels = host.rstrip(".").split(".") if host.rstrip(".") else [""]
    return bool(_PART.match(labels[-1]))


def numeric_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a numeric host name stands for (inet_aton's forms);
    None when the host is a name. NotAnAddress when it ends in a number but
    is no address."""
    if not ends_in_a_number(host):
        return None
    parts = host.rstrip(".").split(".")
    if len(parts) > 4 or any(p == "" for p in parts):
        raise NotAnAddress(host)
    values = [_part_value(p) for p in parts]
    if any(v > 255 for v in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise NotAnAddress(host)
    number = 0
    for value in values[:-1]:
        number = number * 256 + value
    number = number * 256 ** (5 - len(values)) + values[-1]
    return ipaddress.IPv4Address(number)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address routes to, for the forms that embed one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64 or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a global unicast address (see the module docstring)."""
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and not address.is_multicast and not address.is_reserved
    if address in LOCAL_NAT64 or address in IPV4_COMPATIBLE:
        return False
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    return (address.is_global and not address.is_multicast and not address.is_site_local
            and not address.is_reserved)
