"""The outbound policy (cds.record.outbound) and the FHIR client enforcing it (cds.record.fhirpool).

No DNS and no internet: names resolve through a stubbed resolver, and the one server connected to
is a local socket on 127.0.0.1 (reached in development mode, or through the allowlist).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from cds.errors import FhirFetchError
from cds.record import outbound
from cds.record.fhirclient import FhirServer, get_json
from cds.record.fhirpool import make_fhir_client
from cds.record.outbound import OutboundPolicy, OutboundRefused, parse_allowlist
from cds.settings import Settings

# Every name a test uses, and what the stubbed DNS answers for it.
DNS: dict[str, list[str]] = {
    "ehr.example": ["93.184.216.34"],
    "metadata.google.internal": ["169.254.169.254"],
    "loopback.example": ["127.0.0.1"],
    "internal.example": ["10.1.2.3"],
    "mixed.example": ["93.184.216.34", "10.0.0.7"],
    "cgnat.example": ["100.64.1.1"],
    "v6loop.example": ["::1"],
    "local-fhir.test": ["127.0.0.1"],
}
lookups: list[str] = []


async def stub_resolver(host: str, port: int) -> list[str]:
    lookups.append(host)
    if host in DNS:
        return DNS[host]
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        raise socket.gaierror(f"stub DNS has no {host}") from None
    return [host]  # an IP literal resolves to itself


def policy(dev_mode: bool = False, allow: tuple[str, ...] = ()) -> OutboundPolicy:
    return OutboundPolicy.from_settings(dev_mode, allow, stub_resolver)


def check(p: OutboundPolicy, url: str) -> None:
    """Both checks, as a connection makes them: the URL, then every resolved address."""
    p.check_url(url)
    parts = httpx.URL(url)
    asyncio.run(p.resolve_checked(parts.host, parts.port or 443, 1.0))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://loopback.example/fhir", "loopback address"),
        ("https://127.0.0.1/fhir", "loopback address"),
        ("https://[::1]/fhir", "loopback address"),
        ("https://v6loop.example/fhir", "loopback address"),
        ("https://169.254.169.254/latest/meta-data", "metadata address"),
        ("https://169.254.10.1/fhir", "link-local address"),
        ("https://[fe80::1]/fhir", "link-local address"),
        ("https://metadata.google.internal/computeMetadata/v1", "metadata host"),
        ("https://[fd00:ec2::254]/fhir", "metadata address"),
        ("https://internal.example/fhir", "private address"),
        ("https://10.0.0.1/fhir", "private address"),
        ("https://172.16.5.4/fhir", "private address"),
        ("https://192.168.1.1/fhir", "private address"),
        ("https://[fc00::1]/fhir", "private address"),
        ("https://[::ffff:10.0.0.1]/fhir", "private address"),
        ("https://cgnat.example/fhir", "cgnat address"),
        ("https://100.64.0.1/fhir", "cgnat address"),
        ("https://224.0.0.1/fhir", "multicast address"),
        ("https://0.0.0.0/fhir", "unspecified address"),
        ("https://mixed.example/fhir", "private address"),  # one bad answer refuses the name
        # IPv6 forms carrying an IPv4 address are judged by that address (169.254.169.254 is
        # a9fe:a9fe, 10.0.0.1 is a00:1)
        ("https://[64:ff9b::a9fe:a9fe]/fhir", "metadata address"),  # NAT64
        ("https://[64:ff9b::a00:1]/fhir", "private address"),
        ("https://[2002:a9fe:a9fe::1]/fhir", "metadata address"),  # 6to4
        ("https://[2002:7f00:1::1]/fhir", "loopback address"),
        ("https://[::a9fe:a9fe]/fhir", "metadata address"),  # IPv4-compatible
        ("https://[::a9fe:101]/fhir", "link-local address"),
        ("https://[::5db8:d822]/fhir", "reserved address"),  # compatible, even if public inside
        ("https://[fec0::1]/fhir", "site-local address"),
        ("https://[64:ff9b:1::a00:1]/fhir", "nat64-local address"),
        ("https://[::ffff:a9fe:a9fe]/fhir", "metadata address"),
        ("http://ehr.example/fhir", "https required"),
    ],
)
def test_refused_outside_development(url: str, why: str) -> None:
    with pytest.raises(OutboundRefused) as caught:
        check(policy(), url)
    assert caught.value.reason == f"refused by outbound policy ({why})"


def test_public_https_is_allowed() -> None:
    check(policy(), "https://ehr.example/fhir")
    check(policy(), "https://93.184.216.34:8443/fhir")


@pytest.mark.parametrize(
    "address",
    [
        "2606:2800:220:1:248:1893:25c8:1946",  # plain global IPv6
        "64:ff9b::5db8:d822",  # NAT64 of the public 93.184.216.34
        "2002:5db8:d822::1",  # 6to4 of the same
    ],
)
def test_ipv6_forms_of_public_addresses_are_allowed(address: str) -> None:
    check(policy(), f"https://[{address}]/fhir")


def test_ipv6_loopback_and_unspecified_are_not_read_as_ipv4_compatible() -> None:
    assert outbound.address_class(ipaddress.ip_address("::1")) == "loopback"
    assert outbound.address_class(ipaddress.ip_address("::")) == "unspecified"
    assert outbound.embedded_ipv4(ipaddress.IPv6Address("::1")) is None


def test_development_mode_allows_http_and_loopback_only() -> None:
    dev = policy(dev_mode=True)
    check(dev, "http://127.0.0.1:8080/fhir")
    check(dev, "http://[::1]:8080/fhir")
    check(dev, "http://loopback.example/fhir")
    for url in (
        "http://internal.example/fhir",
        "http://169.254.169.254/",
        "http://metadata.google.internal/",
        "http://100.64.0.1/",
    ):
        with pytest.raises(OutboundRefused):
            check(dev, url)


def test_allowlisted_private_host_and_network_are_accepted() -> None:
    by_name = policy(allow=("internal.example",))
    check(by_name, "https://internal.example/fhir")
    with pytest.raises(OutboundRefused):
        check(by_name, "https://10.1.2.4/fhir")  # the name, not its neighbours
    by_network = policy(allow=("10.1.0.0/16", "fd12::/16"))
    check(by_network, "https://internal.example/fhir")
    check(by_network, "https://[fd12::5]/fhir")
    with pytest.raises(OutboundRefused):
        check(by_network, "https://10.2.0.1/fhir")
    with pytest.raises(OutboundRefused):
        check(by_network, "http://internal.example/fhir")  # the allowlist does not allow http
    check(policy(allow=("metadata.google.internal",)), "https://metadata.google.internal/")


@pytest.mark.parametrize("entry", ["https://x.example", "bad..name", "10.0.0.0/99"])
def test_bad_allowlist_entries_stop_the_start(entry: str) -> None:
    with pytest.raises(ValueError, match="CDS_OUTBOUND_ALLOW"):
        parse_allowlist([entry])
    with pytest.raises(ValueError, match="CDS_OUTBOUND_ALLOW"):
        Settings(database_url="sqlite://", outbound_allow=entry)


def test_allowlist_setting_is_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_OUTBOUND_ALLOW", "fhir.sykehus.example, 10.20.0.0/16")
    assert Settings(database_url="sqlite://").outbound_allow == (
        "fhir.sykehus.example",
        "10.20.0.0/16",
    )


# --- the client: the checked address is the one connected to --------------------------------------


class _OneShotServer:
    """A raw HTTP server on 127.0.0.1 answering every request with ``response`` (a thread)."""

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.requests: list[bytes] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                conn.sendall(self.response)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def patient_server() -> Iterator[_OneShotServer]:
    body = b'{"resourceType": "Patient", "id": "p1"}'
    server = _OneShotServer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    yield server
    server.close()


def _read(settings: Settings, p: OutboundPolicy, url: str) -> dict[str, object]:
    async def main() -> dict[str, object]:
        async with make_fhir_client(settings, p) as client:
            server = FhirServer(url.rsplit("/Patient", 1)[0], "secret-token")
            return await get_json(client, server, url, timeout_s=2.0, max_bytes=10_000)

    return asyncio.run(main())


def test_a_name_is_resolved_once_and_its_checked_address_connected(
    patient_server: _OneShotServer,
) -> None:
    # local-fhir.test exists only in the stubbed DNS: the connection can only have gone to the
    # address the policy checked (the system resolver was never asked).
    settings = Settings(database_url="sqlite://", dev_mode=True)
    lookups.clear()
    url = f"http://local-fhir.test:{patient_server.port}/fhir/Patient/p1"
    assert _read(settings, policy(dev_mode=True), url) == {"resourceType": "Patient", "id": "p1"}
    assert lookups == ["local-fhir.test"]
    assert b"Host: local-fhir.test" in patient_server.requests[0]


def test_loopback_is_refused_before_connecting_outside_development(
    patient_server: _OneShotServer,
) -> None:
    settings = Settings(database_url="sqlite://")
    https_url = f"https://local-fhir.test:{patient_server.port}/fhir/Patient/p1"
    with pytest.raises(OutboundRefused, match="loopback"):
        _read(settings, policy(), https_url)
    with pytest.raises(OutboundRefused, match="https required"):
        _read(settings, policy(), https_url.replace("https:", "http:"))
    assert patient_server.requests == []


def test_redirects_are_not_followed_by_the_fhir_client() -> None:
    server = _OneShotServer(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/steal\r\nContent-Length: 0\r\n"
        b"Connection: close\r\n\r\n"
    )
    try:
        settings = Settings(database_url="sqlite://", dev_mode=True)
        url = f"http://127.0.0.1:{server.port}/fhir/Patient/p1"
        with pytest.raises(FhirFetchError, match="HTTP 302"):
            _read(settings, policy(dev_mode=True), url)
        assert len(server.requests) == 1
    finally:
        server.close()


def test_a_hanging_resolver_cannot_pile_up_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = socket.getaddrinfo

    def hanging(host: str, *args: object, **kwargs: object) -> object:
        if host == "hang.example":
            release.wait(10)
            return real("127.0.0.1", *args, **kwargs)  # type: ignore[arg-type]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)

    async def main() -> None:
        waiting = [
            asyncio.create_task(outbound.system_resolver("hang.example", 443))
            for _ in range(outbound._DNS_MAX_OUTSTANDING)
        ]
        await asyncio.sleep(0.05)
        # The bound is reached: another lookup fails at once instead of queueing.
        with pytest.raises(OSError, match="outstanding"):
            await outbound.system_resolver("127.0.0.1", 443)
        release.set()
        assert await asyncio.gather(*waiting) == [["127.0.0.1"]] * len(waiting)
        assert await outbound.system_resolver("127.0.0.1", 443) == ["127.0.0.1"]

    try:
        asyncio.run(main())
    finally:
        release.set()
