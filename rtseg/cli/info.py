"""``rtseg info``: the model's facts, classes and execution providers."""

from __future__ import annotations

import argparse

from rtseg.engine import Segmenter
from rtseg.models import resolve_model


def info_command(args: argparse.Namespace) -> int:
    """Print the model's facts and the execution providers, one ``key: value`` per line."""
    model = resolve_model(args.model)
    info = Segmenter(model, device=args.device, precision=args.precision).info()
    names = info.pop("names")
    for key, value in info.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        print(f"{key}: {shown}")
    print("names: " + ", ".join(f"{class_id} {name}" for class_id, name in names.items()))
    return 0
