"""This machine's CPU: its model and the instruction-set features that decide whether OpenVINO
runs a model faster than onnxruntime there (``--device auto``), and the line every benchmark
prints, since results differ from CPU to CPU. Standard library only, so a benchmark's parent
process stays light.

OpenVINO's CPU kernels gain from AVX-512 with VNNI or BF16, AMX and AVX-VNNI: on an AVX-512
BF16 CPU it ran the shared YOLOv8n-seg 1.6x as fast as onnxruntime; on an AVX2-only CPU 0.91x
(results only) and 0.94x (annotated), in a process ~100 MB larger (README, *Engine*).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# The flags that matter here, /proc/cpuinfo's names and ours; "amx" is any of amx_tile/_bf16/_int8.
ISA = {
    "avx2": "AVX2",
    "avx512f": "AVX-512",
    "avx512_vnni": "AVX-512 VNNI",
    "avx512_bf16": "AVX-512 BF16",
    "amx": "AMX",
    "avx_vnni": "AVX-VNNI",
}
NO_GAINS = "no AVX-512 VNNI/BF16, AMX or AVX-VNNI"


@dataclass(frozen=True)
class CpuInfo:
    """A CPU's model name ("" when unknown) and its feature flags (None when unknown)."""

    model: str
    flags: frozenset[str] | None


@dataclass(frozen=True)
class CpuVerdict:
    """Whether OpenVINO beats onnxruntime on a CPU, and why, in words."""

    openvino_faster: bool
    reason: str


def parse_cpuinfo(text: str) -> CpuInfo:
    """The first processor's model name and flags in /proc/cpuinfo's text (ARM's ``Features``
    stand for flags)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            fields.setdefault(key.strip().lower(), " ".join(value.split()))
    flags = fields.get("flags", fields.get("features"))
    return CpuInfo(
        fields.get("model name", ""), None if flags is None else frozenset(flags.split())
    )


def isa_present(flags: frozenset[str]) -> dict[str, bool]:
    """Each flag of :data:`ISA`: whether ``flags`` has it."""
    amx = any(flag.startswith("amx_") for flag in flags)
    return {name: amx if name == "amx" else name in flags for name in ISA}


def openvino_gains(flags: frozenset[str]) -> list[str]:
    """The features of ``flags`` on which OpenVINO outruns onnxruntime (the AVX-512 ones only
    with AVX-512 itself); empty where it does not."""
    present = isa_present(flags)
    wide = ("avx512_vnni", "avx512_bf16") if present["avx512f"] else ()
    return [name for name in (*wide, "amx", "avx_vnni") if present[name]]


def openvino_verdict(cpu: CpuInfo) -> CpuVerdict:
    """Whether ``--device auto`` should take OpenVINO over onnxruntime on ``cpu``'s CPU; an
    unknown instruction set keeps onnxruntime, the lighter process."""
    this = f"this CPU ({cpu.model})" if cpu.model else "this CPU"
    if cpu.flags is None:
        unknown = f"the instruction set of {this} is unknown here"
        return CpuVerdict(False, f"{unknown}, so OpenVINO is not assumed faster")
    if gains := openvino_gains(cpu.flags):
        named = spoken_list([ISA[name] for name in gains])
        return CpuVerdict(True, f"{this} has {named}, where OpenVINO is faster than onnxruntime")
    present = isa_present(cpu.flags)
    widest = next((ISA[name] for name in ("avx512f", "avx2") if present[name]), "")
    has = f"has {widest} but {NO_GAINS}" if widest else "has no AVX2, AVX-512, AMX or AVX-VNNI"
    return CpuVerdict(False, f"{this} {has}, where OpenVINO is not faster")


def spoken_list(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]]))


def cpu_line(cpu: CpuInfo) -> str:
    """One line naming the CPU and which of :data:`ISA` it has, for a benchmark's output."""
    if cpu.flags is None:
        return f"cpu: {cpu.model or 'unknown'}; isa: unknown"
    present = isa_present(cpu.flags)
    has = " ".join(name for name, yes in present.items() if yes)
    lacks = ", ".join(name for name, yes in present.items() if not yes)
    isa = f"{has} (no {lacks})" if has and lacks else has or f"none of {lacks}"
    return f"cpu: {cpu.model or 'unknown'}; isa: {isa}"


def read_cpu() -> CpuInfo:
    """This machine's CPU: /proc/cpuinfo on Linux; elsewhere the model Python's platform module
    reports and the flags unknown."""
    try:
        cpu = parse_cpuinfo(CPUINFO.read_text())
    except OSError:
        cpu = CpuInfo("", None)
    return CpuInfo(cpu.model or platform.processor() or platform.machine(), cpu.flags)
