"""A real MQTT broker for the ``--mqtt`` tests: Debian's mosquitto (``scripts/setup.sh test``)
in its own process, on a free port, with persistence on so that a persistent subscriber's
session and queued messages survive the test's restarts of the broker."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

READY_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mosquitto:
    """A mosquitto on 127.0.0.1:``port`` that the test starts, stops and starts again."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            if os.environ.get("CI"):
                pytest.fail("CI must provide mosquitto (scripts/setup.sh test installs it)")
            pytest.skip("mosquitto is not installed (scripts/setup.sh test installs it)")
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {folder}/\n"
            # run as the test's user (as root it would switch to "mosquitto", which cannot
            # write its database into the test's folder)
            f"user {getpass.getuser()}\n"
        )
        self.binary = binary
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on port {self.port}")

    def stop(self) -> None:
        """Terminate it (it saves its sessions and queued messages first) and wait."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
