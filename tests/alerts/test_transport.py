"""The outbound client: hostile targets are refused with a reason before any connection, the
connection goes to the address that was checked, and nothing from the environment leaks in."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from trendmon.errors import DeliveryError, UnsafeTargetError
from trendmon.sinks.webhooks.transport import SafeTransport, refusal

from .receivers import Reply, receiver


class Listener:
    """A socket that counts the connections made to it (none, if the refusal came first)."""

    def __init__(self, family: socket.AddressFamily, host: str) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return n
            conn.close()
            n += 1


@pytest.fixture
def v4() -> Iterator[Listener]:
    listener = Listener(socket.AF_INET, "127.0.0.1")
    yield listener
    listener.sock.close()


@pytest.fixture
def v6() -> Iterator[Listener | None]:
    try:
        listener = Listener(socket.AF_INET6, "::1")
    except OSError:
        yield None  # no IPv6 loopback here: the [::1] row is still refused, by its address
        return
    yield listener
    listener.sock.close()


HOSTILE = [
    ("http://127.0.0.1:{p4}/", "127.0.0.1 is a loopback address"),
    ("http://[::1]:{p6}/", "::1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://0x7f000001:{p4}/", "0x7f000001 (resolves to 127.0.0.1): 127.0.0.1 is a loopback"),
    ("http://localhost:{p4}/", "localhost (resolves to"),
    ("http://[::ffff:127.0.0.1]:{p4}/", "loopback address (inside the IPv6 address"),
    ("http://100.64.0.1/", "shared address space (100.64.0.0/10)"),
    ("http://224.0.0.1/", "multicast"),
    ("http://0.0.0.0:{p4}/", "unspecified"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fd00:ec2::254]/", "cloud metadata address"),
    ("http://192.168.1.1/", "private"),
    ("http://240.0.0.1/", "reserved"),
    ("http://[64:ff9b::a00:1]/", "10.0.0.1 is a private address (inside the IPv6"),
]


@pytest.mark.parametrize(("template", "reason"), HOSTILE)
def test_hostile_targets_are_refused_before_any_connection(
    template: str, reason: str, v4: Listener, v6: Listener | None
) -> None:
    url = template.format(p4=v4.port, p6=v6.port if v6 else 1)
    transport = SafeTransport(allow_http=True, timeout_s=1)
    with pytest.raises(UnsafeTargetError) as err:
        transport.post(url, b"{}", {})
    transport.close()
    message = str(err.value)
    assert reason in message, message
    assert "public addresses only" in message and "TRENDMON_ALERTS_ALLOW_NETWORKS" in message
    assert v4.connections() == 0
    assert v6 is None or v6.connections() == 0


def test_metadata_addresses_stay_refused_even_in_an_allowed_network() -> None:
    transport = SafeTransport(allow_http=True, allow_networks="169.254.0.0/16")
    with pytest.raises(UnsafeTargetError, match="cloud metadata"):
        transport.check("http://169.254.169.254/")
    assert transport.check("http://169.254.1.1/").address == "169.254.1.1"
    transport.close()


def test_public_addresses_pass_the_check() -> None:
    assert refusal(__import__("ipaddress").ip_address("93.184.215.14")) is None
    assert refusal(__import__("ipaddress").ip_address("2606:4700::6810:84e5")) is None


def test_https_is_required_unless_allowed() -> None:
    transport = SafeTransport(allow_networks="127.0.0.0/8")
    with pytest.raises(UnsafeTargetError, match="http:// is refused"):
        transport.check("http://127.0.0.1:9/")
    transport.close()


def test_a_bad_allowed_network_names_the_setting() -> None:
    with pytest.raises(UnsafeTargetError) as err:
        SafeTransport(allow_networks="10.0.0.0/33")
    assert "TRENDMON_ALERTS_ALLOW_NETWORKS: '10.0.0.0/33' is not a network" in str(err.value)


def test_the_connection_goes_to_the_checked_address_whatever_dns_says_next() -> None:
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    with receiver() as rx:
        transport = SafeTransport(allow_http=True, allow_networks="127.0.0.0/8", resolver=rebinding)
        answer = transport.post(f"http://hooks.example:{rx.port}/in", b"{}", {})
        with pytest.raises(UnsafeTargetError, match=r"10\.0\.0\.1 is a private address"):
            transport.post(f"http://hooks.example:{rx.port}/in", b"{}", {})
        transport.close()
    assert answer.status == 200
    assert calls == ["hooks.example", "hooks.example"]  # once per attempt
    assert len(rx.requests) == 1
    assert rx.requests[0].headers["host"] == f"hooks.example:{rx.port}"


def test_a_name_that_does_not_resolve_is_retryable() -> None:
    def nothing(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    transport = SafeTransport(resolver=nothing)
    with pytest.raises(DeliveryError, match="does not resolve"):
        transport.check("https://nowhere.invalid/")
    transport.close()


def test_proxies_from_the_environment_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    with receiver() as proxy, receiver() as rx:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        transport = SafeTransport(allow_http=True, allow_networks="127.0.0.0/8")
        assert transport.post(rx.url, b"{}", {}).status == 200
        transport.close()
    assert len(rx.requests) == 1 and proxy.requests == []


def test_an_answer_is_read_up_to_the_limit() -> None:
    with receiver(lambda i, r: Reply(500, body=b"x" * 1_000_000)) as rx:
        transport = SafeTransport(
            allow_http=True, allow_networks="127.0.0.0/8", max_response_bytes=100
        )
        answer = transport.post(rx.url, b"{}", {})
        transport.close()
    assert answer.status == 500 and answer.excerpt == "x" * 100


class TLSReceiver:
    """An https receiver on 127.0.0.1 with a certificate for ``names`` from a test CA."""

    def __init__(self, ca: Any, names: list[str]) -> None:
        import ssl
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.hosts.append(self.headers.get("host", ""))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_https_checks_the_certificate_against_the_name_not_the_pinned_address() -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    client = ssl.create_default_context()
    ca.configure_trust(client)
    good, wrong = TLSReceiver(ca, ["hooks.example"]), TLSReceiver(ca, ["other.example"])
    try:
        transport = SafeTransport(
            allow_networks="127.0.0.0/8",
            resolver=lambda host, port: ["127.0.0.1"],
            verify=client,
        )
        answer = transport.post(f"https://hooks.example:{good.port}/in", b"{}", {})
        with pytest.raises(DeliveryError, match=r"CERTIFICATE_VERIFY_FAILED|hostname"):
            transport.post(f"https://hooks.example:{wrong.port}/in", b"{}", {})
        transport.close()
    finally:
        good.close()
        wrong.close()
    assert answer.status == 200 and good.hosts == [f"hooks.example:{good.port}"]
    assert wrong.hosts == []


def test_errors_do_not_carry_the_targets_path() -> None:
    from trendmon.sinks.webhooks.transport import Checked, _scrub

    target = Checked(
        "https://hooks.slack.com/services/T0/B0/SECRET", "hooks.slack.com", 443, "1.2.3.4"
    )
    message = _scrub(
        "error at https://1.2.3.4/services/T0/B0/SECRET and /services/T0/B0/SECRET", target
    )
    assert "SECRET" not in message and "https://1.2.3.4/…" in message
