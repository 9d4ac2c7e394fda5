"""A real RTSP server for the live-stream tests: GStreamer's RTSP server in its own process.

As a script (Debian's ``/usr/bin/python3`` with ``python3-gi``; GStreamer is not in the venv)::

    python3 tests/rtsp_server.py --port 8554 --file clip.mp4 [--encoded clip.units]

serves on 127.0.0.1, over RTP/UDP and RTP/TCP:

- ``/cam``: the clip, H.264, looped forever at its frame rate. It is re-encoded at start (x264,
  zerolatency, a key frame every second), or read from ``--encoded`` when an earlier server
  left it there, and every client starts at its first frame.
- ``/file``: the clip served once, as it is (no re-encoding, no loop), like a file served over
  RTSP or an NVR's playback: its SDP announces a range, so clients see a frame count and an end.
  Every client starts at its first frame.
- ``/in`` (RECORD): accepts one published H.264 stream, relayed live to readers of ``/out``.
- ``/in-auth`` (RECORD): the same, for publishers only: HTTP Basic auth as ``PUBLISH_USER`` with
  ``PUBLISH_PASSWORD`` (every other mount is open to anyone).

It prints ``ready`` once it listens. In pytest, :class:`RtspServer` starts, kills and restarts
that process (the clip is re-encoded by the first start only: later ones, restarts included,
read the encoding from the session's temporary folder); tests skip (or fail in CI) when
GStreamer's RTSP server is not installed.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# How long the outage tests keep the server down (after the client noticed the loss). A start
# that reads the kept encoding takes ~0.2 s, so the server is back before the reconnect attempt
# 3.5 s after the loss (ReconnectPolicy's default waits: 0.5, 1 and 2 s), and the outage is over.
RESTART_AFTER_S = 2.0  # the looped /cam
FILE_DOWN_S = 2.0  # the finite /file
FPS = 25
PUBLISH_USER = "rtseg"
PUBLISH_PASSWORD = "pw-3c7e91d4"  # distinctive: tests search every process's command line for it
H264_CAPS = "video/x-h264,stream-format=byte-stream,alignment=au"
APT_PACKAGES = (
    "python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good "
    "gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav"
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@functools.cache
def gstreamer_missing() -> str | None:
    """Why the server cannot run here (None when it can)."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    check = "import gi; gi.require_version('GstRtspServer', '1.0')"
    result = subprocess.run([SYSTEM_PYTHON, "-c", check], capture_output=True, timeout=60)
    return (
        None if result.returncode == 0 else f"no GStreamer RTSP server; apt install {APT_PACKAGES}"
    )


def require_gstreamer() -> None:
    """Skip the calling test when the server cannot run here; fail instead in CI."""
    import pytest

    reason = gstreamer_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the RTSP test server: {reason}")
        pytest.skip(reason)


class RtspServer:
    """The server script as a child process on a fixed port (so it can be restarted there)."""

    def __init__(
        self, clip: Path | None = None, port: int | None = None, encoded: Path | None = None
    ) -> None:
        self.clip = clip
        self.encoded = encoded  # where the server keeps the clip's encoding between starts
        self.port = port or free_port()
        self._process: subprocess.Popen[str] | None = None

    def url(self, mount: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}{mount}"

    def start(self) -> None:
        """Start the process and wait (bounded) until it prints ``ready``."""
        command = [SYSTEM_PYTHON, __file__, "--port", str(self.port)]
        if self.clip is not None:
            command += ["--file", str(self.clip)]
        if self.encoded is not None:
            command += ["--encoded", str(self.encoded)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        ready = threading.Event()
        threading.Thread(target=self._watch, args=(self._process, ready), daemon=True).start()
        if not ready.wait(READY_TIMEOUT_S) or self._process.poll() is not None:
            self.kill()
            raise RuntimeError(f"RTSP server on port {self.port} did not start")

    @staticmethod
    def _watch(process: subprocess.Popen[str], ready: threading.Event) -> None:
        for line in process.stdout:
            if line.strip() == "ready":
                ready.set()

    def freeze(self) -> None:
        """Suspend the process: a hung server (connections stay open, nothing flows)."""
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """Kill the process (an abrupt outage, like a camera losing power); idempotent."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(STOP_TIMEOUT_S)
            self._process = None

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


def running_server(clip: Path | None = None, encoded: Path | None = None) -> Iterator[RtspServer]:
    """A fixture's body: the server (of ``clip``, its encoding kept at ``encoded``) running for
    one test, killed after it; the test skips (fails in CI) where GStreamer's RTSP server is
    missing."""
    require_gstreamer()
    with RtspServer(clip, encoded=encoded) as running:
        yield running


def encode_clip(Gst, path: str) -> list[bytes]:
    """The clip's frames as H.264 access units (byte-stream), re-encoded for streaming."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! qtdemux ! h264parse ! avdec_h264 ! videoconvert '
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={FPS} "
        f"! {H264_CAPS} ! appsink name=sink sync=false"
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    while (sample := sink.emit("pull-sample")) is not None:
        buffer = sample.get_buffer()
        units.append(buffer.extract_dup(0, buffer.get_size()))
    pipeline.set_state(Gst.State.NULL)
    return units


def encoded_clip(Gst, path: str, encoded: str | None) -> list[bytes]:
    """:func:`encode_clip`, done once: the access units are kept in the file ``encoded``
    (each one after its length, 4 bytes big-endian) and read back from it by later starts."""
    if encoded is not None and os.path.exists(encoded):
        with open(encoded, "rb") as stored:
            data = stored.read()
        units, at = [], 0
        while at < len(data):
            (length,) = struct.unpack_from(">I", data, at)
            units.append(data[at + 4 : at + 4 + length])
            at += 4 + length
        return units
    units = encode_clip(Gst, path)
    if encoded is not None:
        partial = f"{encoded}.{os.getpid()}.partial"
        with open(partial, "wb") as stored:
            for unit in units:
                stored.write(struct.pack(">I", len(unit)) + unit)
        os.replace(partial, encoded)  # whole or absent, for the next start
    return units


def publisher_auth(GstRtspServer):
    """Clients without credentials get the role "anonymous"; ``PUBLISH_USER`` with
    ``PUBLISH_PASSWORD`` (HTTP Basic) gets "publisher"."""
    auth = GstRtspServer.RTSPAuth()
    anonymous, publisher = GstRtspServer.RTSPToken(), GstRtspServer.RTSPToken()
    anonymous.set_string("media.factory.role", "anonymous")
    publisher.set_string("media.factory.role", "publisher")
    auth.set_default_token(anonymous)
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(PUBLISH_USER, PUBLISH_PASSWORD), publisher)
    return auth


def serve(port: int, clip: str | None, encoded: str | None = None) -> None:
    """Run the server until killed."""
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer(address="127.0.0.1", service=str(port))
    server.get_thread_pool().set_max_threads(8)  # a client per thread: /out waits for /in data
    server.set_auth(publisher_auth(GstRtspServer))
    mounts = server.get_mount_points()

    def allow(factory, role: str, use: bool) -> None:
        """Let clients of ``role`` see the mount, and use it when ``use`` (else they are asked
        to authenticate: 401)."""
        rights = f"media.factory.access=(boolean)true, media.factory.construct=(boolean){use}"
        factory.add_role_from_structure(Gst.Structure.from_string(f"{role}, {rights}")[0])

    def mount(
        path: str, launch: str, configure=None, record: bool = False, private: bool = False
    ) -> None:
        """Serve ``launch`` at ``path`` (clients publish to it when ``record``), to anyone or,
        when ``private``, to the publisher only."""
        factory = GstRtspServer.RTSPMediaFactory()
        if record:
            factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
        allow(factory, "anonymous", not private)
        allow(factory, "publisher", True)
        factory.set_launch(launch)
        if configure is not None:
            factory.connect("media-configure", configure)
        mounts.add_factory(path, factory)

    period = Gst.SECOND // FPS

    if clip is not None:
        units = encoded_clip(Gst, clip, encoded)

        def push_next(source, _length, position) -> None:
            index = position[0]
            buffer = Gst.Buffer.new_wrapped(units[index % len(units)])
            buffer.pts = buffer.dts = index * period
            buffer.duration = period
            source.emit("push-buffer", buffer)
            position[0] += 1

        def configure_clip(_factory, media) -> None:
            source = media.get_element().get_by_name_recurse_up("src")
            source.connect("need-data", push_next, [0])

        mount(
            "/cam",
            f"( appsrc name=src format=time caps={H264_CAPS},framerate={FPS}/1 "
            "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1 )",
            configure_clip,
        )
        mount(
            "/file",
            f'( filesrc location="{clip}" ! qtdemux name=demux demux.video_0 ! queue '
            "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1 )",
        )

    readers = []  # the appsrc of every /out media now streaming

    def relay(sink) -> Gst.FlowReturn:
        buffer = sink.emit("pull-sample").get_buffer()
        data = buffer.extract_dup(0, buffer.get_size())
        for reader in list(readers):
            reader.emit("push-buffer", Gst.Buffer.new_wrapped(data))
        return Gst.FlowReturn.OK

    def configure_in(_factory, media) -> None:
        media.get_element().get_by_name_recurse_up("relay").connect("new-sample", relay)

    def configure_out(_factory, media) -> None:
        reader = media.get_element().get_by_name_recurse_up("src")
        readers.append(reader)
        media.connect("unprepared", lambda _media: readers.remove(reader))

    relayed = (
        f"( rtph264depay name=depay0 ! h264parse config-interval=-1 ! {H264_CAPS} "
        "! appsink name=relay emit-signals=true sync=false )"
    )
    mount("/in", relayed, configure_in, record=True)
    mount("/in-auth", relayed, configure_in, record=True, private=True)
    mount(
        "/out",
        f"( appsrc name=src is-live=true do-timestamp=true format=time caps={H264_CAPS} "
        "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1 )",
        configure_out,
    )

    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", help="clip served looped at /cam and once at /file")
    parser.add_argument("--encoded", help="where the clip's encoding for /cam is kept")
    args = parser.parse_args()
    serve(args.port, os.path.abspath(args.file) if args.file else None, args.encoded)


if __name__ == "__main__":
    main()
