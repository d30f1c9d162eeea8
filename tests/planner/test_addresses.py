"""jobs.planner.addresses: public addresses and numeric host names, checked
against the C library's inet_aton and inet_pton as independent references."""
from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, strategies as st

from jobs.planner.addresses import NotAnAddress, embedded_ipv4, is_public, numeric_host


@pytest.mark.parametrize("host", ["0x7f.0.0.1", "0177.0.0.1", "127.1", "2130706433", "0x7f000001", "127.0.1",
                                  "8.8.8.8", "010.010.010.010", "0.0.0.0", "255.255.255.255", "0x7f.1",
                                  "127.0.0.1."])
def test_numeric_hosts_read_as_inet_aton_reads_them(host):
    assert numeric_host(host) == ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.0.0.1", "0x100.0.0.1", "09.1.1.1", "1..1", "4294967296",
                                  "1.2.65536"])
def test_hosts_that_end_in_a_number_but_are_no_address(host):
    with pytest.raises(NotAnAddress):
        numeric_host(host)
    with pytest.raises(OSError):
        socket.inet_aton(host)


@pytest.mark.parametrize("host", ["hooks.example.com", "1.2.3.example", "example.1a", "localhost"])
def test_names_are_names(host):
    assert numeric_host(host) is None


@given(st.lists(st.integers(0, 255), min_size=4, max_size=4),
       st.lists(st.sampled_from(["dec", "oct", "hex"]), min_size=4, max_size=4))
def test_every_spelling_of_an_address_is_that_address(octets, styles):
    spell = {"dec": str, "oct": lambda n: "0" + format(n, "o"), "hex": lambda n: "0x" + format(n, "x")}
    host = ".".join(spell[style](n) for n, style in zip(octets, styles))
    assert numeric_host(host) == ipaddress.IPv4Address(bytes(octets)) \
        == ipaddress.IPv4Address(socket.inet_aton(host))


@pytest.mark.parametrize("address, inner", [
    ("::ffff:127.0.0.1", "127.0.0.1"), ("::127.0.0.1", "127.0.0.1"), ("64:ff9b::7f00:1", "127.0.0.1"),
    ("2002:7f00:1::", "127.0.0.1"), ("64:ff9b::808:808", "8.8.8.8"), ("2606:4700::1111", None)])
def test_ipv6_forms_that_embed_ipv4(address, inner):
    found = embedded_ipv4(ipaddress.IPv6Address(socket.inet_pton(socket.AF_INET6, address)))
    assert found == (ipaddress.IPv4Address(inner) if inner else None)


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("64:ff9b::808:808", True), ("2002:808:808::1", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("100.64.0.1", False), ("169.254.169.254", False),
    ("224.0.0.1", False), ("239.255.255.250", False), ("240.0.0.1", False), ("255.255.255.255", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("fec0::1", False), ("ff0e::1", False),
    ("::127.0.0.1", False), ("::8.8.8.8", False), ("::ffff:127.0.0.1", False), ("64:ff9b::7f00:1", False),
    ("64:ff9b::a9fe:a9fe", False), ("64:ff9b:1::808:808", False), ("2002:7f00:1::1", False),
    ("2002:0a00:0001::1", False), ("2001::1", False), ("2001:db8::1", False)])
def test_public_means_global_unicast_through_any_embedding(address, public):
    assert is_public(ipaddress.ip_address(address)) is public
