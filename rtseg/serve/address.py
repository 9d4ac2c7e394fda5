"""Parse the ``--serve [host:]port`` value into a bind address."""

from __future__ import annotations

from rtseg.errors import RtsegError

DEFAULT_HOST = "127.0.0.1"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def parse_address(spec: str, default_host: str = DEFAULT_HOST) -> tuple[str, int]:
    """``"8080"`` → (default_host, 8080); ``"0.0.0.0:8080"``, ``"[::1]:8080"`` → (host, port).

    An empty host (``":8080"``) is rejected rather than guessed: it means "all interfaces" to
    some tools and "localhost" to others. Port 0 asks the OS for a free port.
    """
    text = spec.strip()
    if not text:
        raise RtsegError("empty --serve address; expected [host:]port, e.g. 8080")
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host = default_host
    elif host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise RtsegError(f"bad --serve address {spec!r}: write IPv6 hosts in brackets, [::1]:8080")
    if not host or any(char.isspace() for char in host):
        raise RtsegError(
            f"bad --serve host in {spec!r}: use 8080 (localhost only) or 0.0.0.0:8080 (all hosts)"
        )
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        raise RtsegError(f"bad --serve port in {spec!r}: expected a number from 0 to 65535")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """True for hosts only this machine can reach (127.x.x.x, localhost, ::1)."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")
