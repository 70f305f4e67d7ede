"""The outbound policy: the one place that decides whether the service may call a URL.

A hook call names the ``fhirServer`` we read from, and with auth off any caller can name any URL,
so every FHIR read passes two checks here (SSRF: the service must not become a way into the
network it runs in, carrying the caller's bearer token):

1. the URL (:meth:`OutboundPolicy.check_url`): ``https`` only, outside development mode
   (``CDS_DEV_MODE``); cloud metadata host names are refused outright;
2. the addresses the host name resolves to (:meth:`OutboundPolicy.check_address`): loopback
   (allowed in development mode), link-local (169.254.0.0/16, fe80::/10, which holds the metadata
   address 169.254.169.254), private (10/8, 172.16/12, 192.168/16, fc00::/7, which holds AWS's
   fd00:ec2::254), CGNAT 100.64/10, multicast, unspecified and every other non-global address are
   refused. IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:0:0/96``, 6to4
   ``2002::/16``, NAT64 ``64:ff9b::/96``, the deprecated IPv4-compatible ``::/96``) are judged by
   the IPv4 address inside them, since a translator or relay delivers to that address; site-local
   ``fec0::/10`` (deprecated, in use as a private range) and the local-use NAT64 prefix
   ``64:ff9b:1::/48`` are refused. An operator may allow hosts or networks
   (``CDS_OUTBOUND_ALLOW``: host names and CIDRs), e.g. an EHR's FHIR server on the hospital's
   private network.

**DNS rebinding.** Checking a name and letting the HTTP client resolve it again would let a
hostile DNS server answer "public" to the check and "169.254.169.254" to the connect. So the name
is resolved once, in :class:`PinnedBackend`, an httpcore network backend: it resolves, checks every
address, and opens the TCP connection to the checked address itself. TLS still verifies the
certificate against the URL's host name (httpcore passes the name as SNI/server_hostname), and a
pooled connection is only ever reused for the origin (and so the checked address) it was opened
for. Proxies from the environment are not used (``trust_env=False`` in :mod:`cds.record.fhirpool`),
since a proxy would connect on our behalf to an address we never checked.

A refusal is :class:`OutboundRefused` (a :class:`~cds.errors.FhirFetchError`); the caller only
ever learns «FHIR server unavailable» (:mod:`cds.record.prefetch`); the log names the class of
address, never the URL (it carries the patient id).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import socket
import threading
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore

from cds.errors import FhirFetchError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses the host resolves to (tests stub it; no DNS in tests).
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Cloud instance metadata services, refused by name before any resolution (their addresses are
# link-local or private and refused below as well).
METADATA_HOSTS: frozenset[str] = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data"}
)
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052 well-known NAT64
# prefix; RFC 4291 §2.5.5.1 IPv4-compatible, deprecated). ipv4_mapped and sixtofour are read
# through the ipaddress properties of the same names.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Refused whatever Python's tables say (3.11 calls both global): site-local (RFC 3879, still used
# as a private range) and local-use NAT64 (RFC 8215), whose IPv4 address sits where the
# operator's prefix length puts it, so it cannot be read out here.
_NOT_PUBLIC_V6: tuple[tuple[IPNetwork, str], ...] = (
    (ipaddress.ip_network("fec0::/10"), "site-local"),
    (ipaddress.ip_network("64:ff9b:1::/48"), "nat64-local"),
)


class OutboundRefused(FhirFetchError):
    """The outbound policy does not let the service call this URL or address."""

    def __init__(self, why: str) -> None:
        super().__init__(f"refused by outbound policy ({why})")


# Name resolution runs in threads of its own, at most this many lookups outstanding: a hanging
# DNS server must not pile up work behind the lookups we stopped waiting for (a cancelled wait
# does not stop the thread's getaddrinfo).
_DNS_THREADS = 4
_DNS_MAX_OUTSTANDING = 32
_dns_executor: concurrent.futures.ThreadPoolExecutor | None = None
# Thread-safe: taken on the event loop, given back in the lookup's thread.
_dns_slots = threading.BoundedSemaphore(_DNS_MAX_OUTSTANDING)


def _lookup_done(_future: concurrent.futures.Future[typing.Any]) -> None:
    _dns_slots.release()


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (``getaddrinfo`` in a small thread pool)."""
    global _dns_executor
    if _dns_executor is None:
        _dns_executor = concurrent.futures.ThreadPoolExecutor(
            _DNS_THREADS, thread_name_prefix="cds-dns"
        )
    if not _dns_slots.acquire(blocking=False):
        raise OSError("too many name lookups outstanding")
    future = _dns_executor.submit(
        socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    # Counted down when the lookup itself ends (in its thread), not when we stop waiting.
    future.add_done_callback(_lookup_done)
    infos = await asyncio.wrap_future(future)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def parse_allowlist(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """``CDS_OUTBOUND_ALLOW`` entries as (host names, networks); ValueError names a bad entry."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        if "/" in entry or ":" in entry or not all(part for part in entry.split(".")):
            raise ValueError(f"CDS_OUTBOUND_ALLOW: {raw!r} is neither a host name nor a CIDR")
        hosts.add(entry.rstrip("."))
    return frozenset(hosts), tuple(networks)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, compatible), or ``None``.

    ``::`` and ``::1`` lie in the IPv4-compatible range but are IPv6's own unspecified and
    loopback addresses, not IPv4 ``0.0.0.0``/``0.0.0.1``.
    """
    if address.ipv4_mapped is not None:  # ::ffff:10.0.0.1
        return address.ipv4_mapped
    if address.sixtofour is not None:  # 2002:0a00:0001::/48 routes to 10.0.0.1
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_class(address: IPAddress) -> str | None:
    """Why ``address`` is not a public address (``"loopback"``, ``"private"``...), or ``None``."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            why = address_class(inner)
            if why is None and address in _IPV4_COMPATIBLE and address.ipv4_mapped is None:
                # Deprecated since 2006: no real server is reached that way.
                return "reserved"
            return why
        for network, why in _NOT_PUBLIC_V6:
            if address in network:
                return why
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "cgnat"
    if address.is_private:
        return "private"
    if not address.is_global:  # reserved, documentation, 6to4 of the above, ...
        return "reserved"
    return None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """What the service may call; see the module docstring."""

    dev_mode: bool = False
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_settings(
        cls, dev_mode: bool, allow: Iterable[str], resolver: Resolver = system_resolver
    ) -> OutboundPolicy:
        hosts, networks = parse_allowlist(allow)
        return cls(dev_mode, hosts, networks, resolver)

    def check_url(self, url: str) -> None:
        """:class:`OutboundRefused` unless the URL's scheme and host name may be called."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundRefused("not an http(s) URL")
        if parts.scheme != "https" and not self.dev_mode:
            raise OutboundRefused("https required")
        host = parts.hostname.lower().rstrip(".")
        if host in METADATA_HOSTS and host not in self.allow_hosts:
            raise OutboundRefused("metadata host")

    def check_address(self, host: str, address: str) -> None:
        """:class:`OutboundRefused` unless ``host`` may be reached at ``address``."""
        if host.lower().rstrip(".") in self.allow_hosts:
            return
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        except ValueError:
            raise OutboundRefused("unparsable address") from None
        if any(ip in network for network in self.allow_networks):
            return
        why = address_class(ip)
        if why is None or (why == "loopback" and self.dev_mode):
            return
        raise OutboundRefused(f"{why} address")

    async def resolve_checked(self, host: str, port: int, timeout_s: float | None) -> list[str]:
        """The addresses of ``host``, once, each of them checked (any refused one refuses all).

        All of them, not the first: a name answering one public and one private address must
        not get a connection to the private one on a retry.
        """
        try:
            addresses = await asyncio.wait_for(self.resolver(host, port), timeout_s)
        except (TimeoutError, OSError) as exc:
            raise httpcore.ConnectError("name resolution failed") from exc
        if not addresses:
            raise httpcore.ConnectError("name resolution gave no address")
        for address in addresses:
            self.check_address(host, address)
        return addresses


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host once, then connects to the checked address (no rebinding)."""

    def __init__(self, policy: OutboundPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self.policy = policy
        self.inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.policy.resolve_checked(host, port, timeout)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # noqa: S101 - addresses is never empty here
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
