"""Which CPU engine ``--device auto`` takes, decided from the CPU's flags: fed the /proc/cpuinfo
text and flag sets of CPUs where OpenVINO is faster and of CPUs where it is not."""

from __future__ import annotations

import pytest

from rtseg.cpu import CpuInfo, cpu_line, openvino_verdict, parse_cpuinfo, spoken_list

SAPPHIRE_RAPIDS = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8
"""
EPYC_AVX2 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx f16c fma avx2 bmi2 sha_ni vaes
"""
GRAVITON = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU implementer\t: 0x41
"""


def cpu(*flags: str) -> CpuInfo:
    return CpuInfo("Test CPU", frozenset(flags))


def test_parse_cpuinfo_takes_the_first_processor_model_and_flags():
    intel = parse_cpuinfo(SAPPHIRE_RAPIDS)
    assert intel.model == "Intel(R) Xeon(R) Platinum 8480+"
    assert {"avx2", "avx512f", "avx512_vnni", "amx_tile"} <= intel.flags
    epyc = parse_cpuinfo(EPYC_AVX2)
    assert epyc.model == "AMD EPYC" and epyc.flags is not None
    assert sorted(epyc.flags) == [
        "avx",
        "avx2",
        "bmi2",
        "f16c",
        "fma",
        "fpu",
        "sha_ni",
        "sse2",
        "vaes",
    ]
    arm = parse_cpuinfo(GRAVITON)
    assert arm.model == "" and "asimd" in arm.flags
    assert parse_cpuinfo("") == CpuInfo("", None)


@pytest.mark.parametrize(
    ("flags", "has"),
    [
        (
            ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"),
            "AVX-512 VNNI, AVX-512 BF16 and AMX",
        ),  # Sapphire Rapids
        (
            ("avx2", "avx512f", "avx512_vnni", "avx512_bf16"),
            "AVX-512 VNNI and AVX-512 BF16",
        ),  # Zen 4
        (("avx2", "avx512f", "avx512_vnni"), "AVX-512 VNNI"),  # Cascade Lake, Ice Lake
        (("avx2", "avx_vnni"), "AVX-VNNI"),  # Alder Lake
    ],
)
def test_openvino_where_the_cpu_has_vnni_bf16_or_amx(flags, has):
    verdict = openvino_verdict(cpu(*flags))
    assert verdict.openvino_faster
    assert verdict.reason == (
        f"this CPU (Test CPU) has {has}, where OpenVINO is faster than onnxruntime"
    )


@pytest.mark.parametrize(
    ("flags", "has"),
    [
        (("avx", "avx2", "fma"), "AVX2 but no AVX-512 VNNI/BF16, AMX or AVX-VNNI"),  # Zen 2/3
        (("avx2", "avx512f"), "AVX-512 but no AVX-512 VNNI/BF16, AMX or AVX-VNNI"),  # Skylake-SP
        (("avx2", "avx512_vnni"), "AVX2 but no AVX-512 VNNI/BF16, AMX or AVX-VNNI"),  # no avx512f
        (("fp", "asimd"), "no AVX2, AVX-512, AMX or AVX-VNNI"),  # ARM
    ],
)
def test_onnxruntime_where_openvino_is_not_faster(flags, has):
    verdict = openvino_verdict(cpu(*flags))
    assert not verdict.openvino_faster
    assert verdict.reason == f"this CPU (Test CPU) has {has}, where OpenVINO is not faster"


def test_unknown_instruction_set_keeps_onnxruntime():
    verdict = openvino_verdict(CpuInfo("arm", None))
    assert not verdict.openvino_faster
    assert verdict.reason == (
        "the instruction set of this CPU (arm) is unknown here, so OpenVINO is not assumed faster"
    )


def test_cpu_line_names_the_model_and_the_flags_that_matter():
    assert cpu_line(parse_cpuinfo(EPYC_AVX2)) == (
        "cpu: AMD EPYC; isa: avx2 (no avx512f, avx512_vnni, avx512_bf16, amx, avx_vnni)"
    )
    assert cpu_line(parse_cpuinfo(SAPPHIRE_RAPIDS)) == (
        "cpu: Intel(R) Xeon(R) Platinum 8480+; isa: avx2 avx512f avx512_vnni avx512_bf16 amx"
        " (no avx_vnni)"
    )
    assert cpu_line(CpuInfo("", frozenset({"asimd"}))) == (
        "cpu: unknown; isa: none of avx2, avx512f, avx512_vnni, avx512_bf16, amx, avx_vnni"
    )
    assert cpu_line(CpuInfo("arm64", None)) == "cpu: arm64; isa: unknown"


def test_spoken_list():
    assert [spoken_list(words) for words in (["a"], ["a", "b"], ["a", "b", "c"])] == [
        "a",
        "a and b",
        "a, b and c",
    ]
