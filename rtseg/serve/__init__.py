"""Browser live view: a small HTTP server with the annotated MJPEG stream, stats and metrics."""

from rtseg.serve.address import parse_address
from rtseg.serve.sink import LiveViewSink

__all__ = ["LiveViewSink", "parse_address"]
