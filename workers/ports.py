"""Refuse early, and clearly, when a port the stack needs is taken."""

from __future__ import annotations

import socket


class PortInUseError(RuntimeError):
    pass


def ensure_free(host: str, port: int, purpose: str, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUseError(
                f"Port {port} on {host} ({purpose}) is already in use. Stop what is using it, or choose "
                f"another port with {setting}=<port>."
            ) from None


def free_port(host: str) -> int:
    """A port the OS has free now, for a part only the stack itself talks to."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
