"""Scale-out on a Ray cluster: the engine on actors, each with its own model session."""

from rtseg.cluster.driver import RayHost
from rtseg.cluster.worker import StreamGroupWorker

__all__ = ["RayHost", "StreamGroupWorker"]
