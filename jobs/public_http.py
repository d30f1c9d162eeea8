"""HTTP to addresses that are public at the moment of connecting.

Checking a webhook URL's name before sending is not enough: DNS can answer a
public address to the check and a private one to the connection (DNS
rebinding). These connections check the peer address of the socket they
actually opened, before a single byte of TLS or HTTP goes out, and refuse a
non-public one, by the same rule the settings check uses
(jobs.planner.addresses.is_public: NAT64, 6to4 and IPv4-mapped peers are
judged by the IPv4 address they reach).
"""
from __future__ import annotations

import ipaddress
import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from .planner.addresses import is_public


class NonPublicAddress(NewConnectionError):
    pass


def _checked(conn, sock: socket.socket) -> socket.socket:
    address = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
    if not is_public(address):
        sock.close()
        raise NonPublicAddress(conn, f"{conn.host} connected to a non-public address ({address}); refused")
    return sock


class _PublicHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(self, super()._new_conn())


class _PublicHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked(self, super()._new_conn())


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def public_session() -> requests.Session:
    """A session whose every connection must reach a public address.
    Proxies from the environment are ignored: the check is on the peer."""
    session = requests.Session()
    session.trust_env = False
    adapter = PublicOnlyAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
