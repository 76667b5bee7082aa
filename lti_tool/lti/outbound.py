"""The outbound request policy: which hosts, addresses, ports and schemes the tool may connect to.

Every request the tool makes to a platform (dynamic registration, JWKS, OAuth2 tokens, AGS,
NRPS) goes through `lti_tool.lti.connector.http_session()`, whose session mounts
`PolicyAdapter`. Without it, anyone who can make the tool fetch a URL (dynamic registration,
a registration's JWKS or token URL) could make it reach loopback, the private network or a
cloud metadata service, and scan ports. The settings are Moodle's own idea
(`curlsecurityblockedhosts`, `curlsecurityallowedport`), see `config/default.py`:
`OUTBOUND_BLOCKED_HOSTS`, `OUTBOUND_ALLOWED_HOSTS` (exceptions, they win), `OUTBOUND_ALLOWED_PORTS`
and `OUTBOUND_HTTPS_ONLY`.

How a request is checked, on every hop of a redirect (requests sends each hop through the
adapter again):
1. scheme (https only when asked), port and host name, before any DNS query or connection;
2. the name is resolved once, and every address is checked: one blocked address refuses the
   request (see `OutboundPolicy.addresses`); IPv4-mapped IPv6 addresses are checked as their
   IPv4 address;
3. the connection is pinned to a checked address (the next one is tried if it can't be
   reached, as urllib3 would), while the Host header, TLS SNI and the certificate's host name
   check keep the name from the URL: no second DNS lookup can swap in another address
   between check and connect (DNS rebinding).

The pinning follows the approach of requests-hardened (its `IPFilterAdapter` overrides
`HTTPAdapter.build_connection_pool_key_attributes`); that library is not used because its
policy is a fixed private-addresses switch with no configurable ranges, ports or exceptions.

Proxies from the environment are ignored and a request given a proxy is refused: a proxy
resolves and connects on its own, past the check (see `guard`).

A refusal raises `OutboundRefused` (a `requests.RequestException`, so existing handlers treat
it as a failed request) whose message is generic; the detail is logged as a warning.
"""

import ipaddress
import logging
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from requests.utils import select_proxy
from urllib3.exceptions import ConnectTimeoutError
from urllib3.util.connection import allowed_gai_family

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
# Dot-separated labels of letters, digits, "-" and "_", the last one not all digits.
HOST_NAME = re.compile(r"([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_-]*[a-z_-][a-z0-9_-]*")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(requests.RequestException):
    """The outbound request policy refused a request; `reason` and the rest are for logs."""

    def __init__(self, reason: str, host: str, port: int | None, address: str | None = None,
                 request=None):
        super().__init__("The address is refused by the tool's outbound request policy.",
                         request=request)
        self.reason = reason
        self.host = host
        self.port = port
        self.address = address


@dataclass(frozen=True)
class HostList:
    """Host names (exact, or `*.example.com` for any name below example.com), IP addresses
    and CIDR ranges, as in `OUTBOUND_BLOCKED_HOSTS` and `OUTBOUND_ALLOWED_HOSTS`."""

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, value, setting: str) -> "HostList":
        names, suffixes, networks = set(), [], []
        for entry in _entries(value):
            if entry.startswith("*.") and HOST_NAME.fullmatch(_plain_name(entry[2:])):
                suffixes.append(_plain_name(entry[1:]))  # keeps the dot: ".example.com"
            elif network := _network(entry):
                networks.append(network)
            elif HOST_NAME.fullmatch(_plain_name(entry)):
                names.add(_plain_name(entry))
            else:
                # A mistyped address must not become a name that never matches.
                raise ValueError(f"{setting}: {entry!r} is neither a host name nor an address")
        return cls(frozenset(names), tuple(suffixes), tuple(networks))

    def matches_name(self, host: str) -> bool:
        name = _plain_name(host)
        return name in self.names or name.endswith(self.suffixes)

    def matches_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


_SETTINGS = ("OUTBOUND_BLOCKED_HOSTS", "OUTBOUND_ALLOWED_HOSTS", "OUTBOUND_ALLOWED_PORTS",
             "OUTBOUND_HTTPS_ONLY")
_PARSED: dict[str, "OutboundPolicy"] = {}


@dataclass(frozen=True)
class OutboundPolicy:
    blocked: HostList = HostList()
    allowed: HostList = HostList()
    ports: frozenset[int] = frozenset()  # empty: any port
    https_only: bool = False

    @classmethod
    def from_config(cls, config) -> "OutboundPolicy":
        """The policy of `config`'s OUTBOUND_* settings, parsed once per distinct value (every
        launch asks; the production block list alone is 35 networks)."""
        values = tuple(config.get(name) for name in _SETTINGS)
        key = repr(values)
        policy = _PARSED.get(key)
        if policy is None:
            if len(_PARSED) >= 64:  # settings changed at run time (tests): keep it bounded
                _PARSED.clear()
            policy = _PARSED[key] = cls._parse(*values)
        return policy

    @classmethod
    def _parse(cls, blocked, allowed, ports, https_only) -> "OutboundPolicy":
        return cls(
            blocked=HostList.parse(blocked, "OUTBOUND_BLOCKED_HOSTS"),
            allowed=HostList.parse(allowed, "OUTBOUND_ALLOWED_HOSTS"),
            ports=frozenset(_ports(ports)),
            https_only=_flag(https_only),
        )

    def target_refusal(self, scheme: str, host: str, port: int) -> str | None:
        """Why a connection to scheme://host:port is refused before resolving it, or None."""
        if not host:
            return "no host name"
        if scheme not in DEFAULT_PORTS:
            return f"scheme {scheme!r} is not http(s)"
        if self.https_only and scheme != "https":
            return "plain http while OUTBOUND_HTTPS_ONLY is on"
        if self.ports and port not in self.ports:
            return f"port {port} is not in OUTBOUND_ALLOWED_PORTS"
        if self.blocked.matches_name(host) and not self.allowed.matches_name(host):
            return "host name is in OUTBOUND_BLOCKED_HOSTS"
        return None

    def address_refusal(self, host: str, address: str) -> str | None:
        """Why `host`, resolved to `address`, is refused, or None."""
        if self.allowed.matches_name(host):
            return None
        ip = _comparable(address)
        if self.blocked.matches_address(ip) and not self.allowed.matches_address(ip):
            return f"address {ip} is in OUTBOUND_BLOCKED_HOSTS"
        return None

    def addresses(self, scheme: str, host: str, port: int) -> list[str]:
        """The addresses scheme://host:port may be reached at, in the order to try them;
        raises OutboundRefused."""
        if reason := self.target_refusal(scheme, host, port):
            raise _refused(reason, host, port)
        addresses = resolve(host, port)
        # Refuse if *any* address is blocked rather than keep the allowed ones: the outcome
        # then does not depend on the order of DNS answers, and a name that mixes internal
        # and public addresses (an attacker's, or split DNS) shows in the log and, if it is
        # legitimate, is allowed on purpose in OUTBOUND_ALLOWED_HOSTS.
        for address in addresses:
            if reason := self.address_refusal(host, address):
                raise _refused(reason, host, port, address)
        return addresses


class PolicyAdapter(HTTPAdapter):
    """An HTTPAdapter that checks every request against `policy` and connects only to an
    address it checked."""

    def __init__(self, policy: OutboundPolicy, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        scheme, host, port = _target(request.url)
        if select_proxy(request.url, proxies):
            # A proxy resolves the name itself (plain http) and connects wherever it likes.
            raise _refused("a proxy would bypass the check", host, port)
        addresses = self.policy.addresses(scheme, host, port or DEFAULT_PORTS.get(scheme, 0))
        for n, address in enumerate(addresses, start=1):
            # A copy per address: the Host header and the pin must not follow the caller's
            # request object to the next hop of a redirect.
            pinned = request.copy()
            pinned.headers["Host"] = _host_header(host, port)
            pinned.outbound_address = address
            try:
                return super().send(pinned, stream=stream, timeout=timeout, verify=verify,
                                    cert=cert, proxies=proxies)
            except requests.ConnectionError as exc:
                # Like urllib3 on its own, try the next address when this one can't be
                # reached: "localhost" is ::1 first on many machines whose server is on IPv4.
                if n == len(addresses) or not _not_connected(exc):
                    raise
        raise AssertionError("unreachable: addresses() returns at least one address")

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        address = getattr(request, "outbound_address", None)
        if address is None:  # not sent through `send`: refuse rather than connect unchecked
            raise _refused("request was not checked", host_params["host"] or "",
                           host_params["port"])
        if host_params["scheme"] == "https":
            # SNI and the certificate check use the name, not the pinned address.
            pool_kwargs["server_hostname"] = host_params["host"]
        host_params["host"] = address
        return host_params, pool_kwargs

    def get_connection(self, url, proxies=None):
        # Deprecated in requests and skips build_connection_pool_key_attributes: no pinning.
        raise NotImplementedError("PolicyAdapter supports get_connection_with_tls_context only")


def guard(session: requests.Session, policy: OutboundPolicy) -> requests.Session:
    """Make `session` send every http(s) request through `policy`."""
    adapter = PolicyAdapter(policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # Environment proxies (HTTP(S)_PROXY) would silently carry requests past the check, and
    # .netrc would hand platforms credentials: ignore the environment...
    session.trust_env = False
    # ...except the CA bundle it would have supplied (an internal CA for a campus LMS).
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
        "CURL_CA_BUNDLE") or True
    return session


def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host`, in the order the system prefers them, duplicates removed."""
    try:
        infos = socket.getaddrinfo(host, port, family=allowed_gai_family(),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise requests.ConnectionError(f"Failed to resolve {host!r}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refused(reason: str, host: str, port: int | None, address: str | None = None):
    log.warning("outbound request refused: %s (host %s, port %s, address %s)",
                reason, host, port, address or "not resolved")
    return OutboundRefused(reason, host, port, address)


def _target(url: str) -> tuple[str, str, int | None]:
    parts = urlparse(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise requests.exceptions.InvalidURL(f"Invalid port in {url!r}") from exc
    return parts.scheme.lower(), parts.hostname or "", port


def _not_connected(exc: requests.ConnectionError) -> bool:
    """Whether `exc` failed before the request was sent (so another address may be tried)."""
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", None), ConnectTimeoutError)


def _host_header(host: str, port: int | None) -> str:
    name = f"[{host}]" if ":" in host else host
    return f"{name}:{port}" if port is not None else name


def _comparable(address: str) -> IPAddress:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1: check it as such.
        return ip.ipv4_mapped
    return ip


def _network(entry: str) -> IPNetwork | None:
    try:
        network = ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return None
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            # Mapped addresses are compared as IPv4 (`_comparable`): so must the rule be.
            return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def _plain_name(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _entries(value) -> list[str]:
    """A setting's items: a list, or a string separated by spaces and/or commas."""
    if value is None:
        return []
    if isinstance(value, str | int):
        value = str(value).replace(",", " ").split()
    return [str(item).strip() for item in value if str(item).strip()]


def _ports(value) -> Iterable[int]:
    for entry in _entries(value):
        if not entry.isdigit() or not 0 < int(entry) < 65536:
            raise ValueError(f"OUTBOUND_ALLOWED_PORTS: {entry!r} is not a port number")
        yield int(entry)


def _flag(value) -> bool:
    if not isinstance(value, str):
        return bool(value)
    word = value.strip().lower()
    if word not in {"", "0", "false", "no", "off", "1", "true", "yes", "on"}:
        raise ValueError(f"OUTBOUND_HTTPS_ONLY: {value!r} is not true or false")
    return word in {"1", "true", "yes", "on"}
