"""The one outbound HTTP client of alerts, safe against server-side request forgery (SSRF).

A subscription names a URL; anyone who can add one could otherwise make trendmon post to its
own network (a database's HTTP port, a cloud's metadata service). So, for every attempt:

1. the host is resolved **once** (``getaddrinfo``);
2. every address it resolves to is checked: loopback, private (10/8, 172.16/12, 192.168/16,
   fc00::/7), link-local (169.254/16, fe80::/10), shared (100.64/10), multicast, unspecified,
   reserved, anything not globally routable, and the cloud metadata addresses are refused, IPv4
   and IPv6 alike (an IPv4 address inside IPv6, ``::ffff:127.0.0.1`` or ``64:ff9b::a00:1``,
   is judged as the IPv4 one) unless it is inside ``TRENDMON_ALERTS_ALLOW_NETWORKS``;
   metadata addresses are refused even then;
3. the connection goes **to the address that was checked** (the URL's host is replaced by it;
   ``Host`` and TLS's server name and certificate check keep the real name), so a DNS answer
   that changes between the check and the connection (rebinding) cannot move it.

Redirects are never followed (a 3xx is a failed attempt), proxies from the environment are
ignored (``trust_env=False``), an answer's body is read up to ``max_response_bytes``, and every
attempt has a timeout.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from trendmon.errors import DeliveryError, UnsafeTargetError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

SHARED = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure's wire server (a public address)
    )
)
USER_AGENT = "trendmon-alerts/1"


def parse_networks(text: str) -> tuple[Network, ...]:
    """``TRENDMON_ALERTS_ALLOW_NETWORKS`` as networks (a ConfigError-free parse: bad ones raise
    UnsafeTargetError naming the setting)."""
    out: list[Network] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            out.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise UnsafeTargetError(
                f"TRENDMON_ALERTS_ALLOW_NETWORKS: {part.strip()!r} is not a network; write "
                "networks like 127.0.0.0/8,fd12::/64"
            ) from None
    return tuple(out)


def _embedded_v4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr in NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if addr.sixtofour is not None:
            return addr.sixtofour
    return None


def refusal(addr: IPAddress, allowed: Iterable[Network] = ()) -> str | None:
    """Why ``addr`` may not be reached, or None if it may."""
    inner = _embedded_v4(addr)
    if inner is not None:
        why = refusal(inner, allowed)
        return f"{why} (inside the IPv6 address {addr})" if why else None
    if addr in METADATA:
        return f"{addr} is a cloud metadata address"
    if any(addr.version == net.version and addr in net for net in allowed):
        return None
    checks: tuple[tuple[bool, str], ...] = (
        (addr.is_loopback, "loopback"),
        (addr.is_unspecified, "unspecified"),
        (addr.is_link_local, "link-local"),
        (addr.version == 4 and addr in SHARED, "shared address space (100.64.0.0/10)"),
        (addr.is_multicast, "multicast"),
        (addr.is_reserved, "reserved"),
        (addr.is_private, "private"),
        (not addr.is_global, "not globally routable"),
    )
    for hit, what in checks:
        if hit:
            return f"{addr} is a {what} address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


@dataclass(frozen=True)
class Checked:
    """A target after resolution: where to connect, and the name the URL had."""

    url: str
    host: str
    port: int
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        default = 443 if parts.scheme == "https" else 80
        netloc = ip if self.port == default else f"{ip}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Answer:
    """What a receiver answered to one attempt."""

    status: int
    retry_after: str | None
    excerpt: str
    latency_s: float


class SafeTransport:
    """Posts bodies to checked addresses only. Thread-safe (one httpx client, pooled)."""

    def __init__(
        self,
        *,
        timeout_s: float = 15.0,
        max_response_bytes: int = 4096,
        allow_networks: str = "",
        allow_http: bool = False,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes
        self.allowed = parse_networks(allow_networks)
        self.allow_http = allow_http
        self.resolver = resolver
        self._client = httpx.Client(
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_s),
            headers={"user-agent": USER_AGENT},
            # The system's CAs unless told otherwise (tests pass a context with their own CA).
            verify=verify if verify is not None else True,
        )

    def check(self, url: str) -> Checked:
        """Resolve ``url``'s host once and check every address; UnsafeTargetError says why not.

        A host that does not resolve is a DeliveryError (DNS may come back)."""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise UnsafeTargetError(f"{url!r} is not an http(s) URL with a host")
        if parts.scheme == "http" and not self.allow_http:
            raise UnsafeTargetError(
                f"{parts.hostname}: http:// is refused; use https:// or set "
                "TRENDMON_ALERTS_ALLOW_HTTP=true"
            )
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise DeliveryError(f"{host} does not resolve ({exc})") from None
        if not addresses:
            raise DeliveryError(f"{host} resolves to no address")
        for text in addresses:
            why = refusal(ipaddress.ip_address(text), self.allowed)
            if why is not None:
                where = host if host == text.strip("[]") else f"{host} (resolves to {text})"
                raise UnsafeTargetError(
                    f"refused {where}: {why}; alerts reach public addresses only "
                    "(TRENDMON_ALERTS_ALLOW_NETWORKS lists exceptions)"
                )
        return Checked(url=url, host=host, port=port, address=addresses[0])

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """Post ``body`` to the checked address of ``url``; DeliveryError without an answer."""
        target = self.check(url)
        sent = {**headers, "content-type": "application/json", "host": _host_header(target)}
        request = self._client.build_request(
            "POST",
            target.pinned_url,
            content=body,
            headers=sent,
            extensions={"sni_hostname": target.host},
        )
        started = time.monotonic()
        try:
            response = self._client.send(request, stream=True)
            try:
                excerpt = self._read(response, started)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise DeliveryError(f"no answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {_scrub(str(exc), target):.200}") from None
        return Answer(
            status=response.status_code,
            retry_after=response.headers.get("retry-after"),
            excerpt=excerpt,
            latency_s=time.monotonic() - started,
        )

    def _read(self, response: httpx.Response, started: float) -> str:
        data = bytearray()
        for chunk in response.iter_raw():
            data += chunk
            if len(data) >= self.max_response_bytes:
                break
            if time.monotonic() - started > self.timeout_s:
                raise httpx.ReadTimeout("answer too slow", request=response.request)
        return bytes(data[: self.max_response_bytes]).decode("utf-8", "replace")

    def close(self) -> None:
        self._client.close()


def _host_header(target: Checked) -> str:
    parts = urlsplit(target.url)
    default = 443 if parts.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def _scrub(message: str, target: Checked) -> str:
    """``message`` without the target's path and query: a Slack or Discord URL's path is its
    credential, and errors end up in the delivery log."""
    for url in (target.url, target.pinned_url):
        parts = urlsplit(url)
        message = message.replace(url, f"{parts.scheme}://{parts.netloc}/…")
        if parts.path not in ("", "/"):
            message = message.replace(parts.path, "/…")
    return message
