"""A lighter ``rtseg`` process: what supervision imports but a run never calls waits until called.

Importing supervision imports ``scipy.interpolate`` (spline-smoothed traces) and
``scipy.spatial`` (a KD-tree for splitting datasets), and with them some 350 SciPy modules;
``requests`` (downloading assets) and with it urllib3 and http; ``tqdm.auto`` (dataset progress
bars) and with it asyncio; defusedxml (Pascal VOC datasets): together about 50 MB of the
command's peak memory (README, *Memory*). In the ``rtseg`` command's own process, where no
user code runs, those modules start as stand-ins:

* supervision takes names from most of them (``from scipy.interpolate import splev``), so each
  name it takes is a callable that imports the real module on its first call;
* it uses ``requests`` only inside functions, so the first attribute looked up on it imports
  the real module and returns the real attribute.

Library users are untouched: only :func:`rtseg.cli.main` calls :func:`defer_unused_imports`.
A stand-in is no package: importing a submodule under it (``scipy.spatial.distance``) fails
until the real module is loaded; nothing the command runs does (NNCF, OpenVINO and Ray import
none of these modules).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

DEFERRED_NAMES = (
    "scipy.interpolate",
    "scipy.spatial",
    "tqdm.auto",
    "defusedxml.ElementTree",
    "defusedxml.minidom",
)
LAZY_MODULES = ("requests",)


def real_module(name: str) -> types.ModuleType:
    """The module ``name`` itself, imported now if a stand-in held its place. The stand-ins of
    its whole package go first: the real modules import each other (``scipy.interpolate``
    imports ``scipy.spatial``)."""
    package = name.partition(".")[0]
    for held in [*sys.modules]:
        if held.partition(".")[0] == package and is_stand_in(sys.modules[held]):
            del sys.modules[held]
    return importlib.import_module(name)


def is_stand_in(module: object) -> bool:
    return isinstance(module, DeferredNames | LazyModule)


class DeferredNames(types.ModuleType):
    """Stands in for a module that names are imported from, until one of them is called."""

    def __getattr__(self, name: str) -> DeferredName:
        if name.startswith("__"):  # the import machinery probing (__path__ ...)
            raise AttributeError(name)
        return DeferredName(self.__name__, name)


class DeferredName:
    """``module.name``, looked up in the real module when called."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(real_module(self.module), self.name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<deferred {self.module}.{self.name}>"


class LazyModule(types.ModuleType):
    """Stands in for a module until an attribute is looked up on it.

    (``importlib.util.LazyLoader`` would be the standard tool, but before Python 3.12 importing
    a lazy module a second time, as ``import requests`` in supervision does, loads it.)
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(real_module(self.__name__), name)


def defer_unused_imports() -> None:
    """Put the stand-ins in place, unless supervision or those modules are already imported."""
    if "supervision" in sys.modules:
        return
    for name in DEFERRED_NAMES:
        sys.modules.setdefault(name, DeferredNames(name))
    for name in LAZY_MODULES:
        sys.modules.setdefault(name, LazyModule(name))
