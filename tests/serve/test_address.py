import pytest

from rtseg.errors import RtsegError
from rtseg.serve.address import is_loopback, parse_address


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("8080", ("127.0.0.1", 8080)),
        (" 8080 ", ("127.0.0.1", 8080)),
        ("0", ("127.0.0.1", 0)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
        ("localhost:80", ("localhost", 80)),
        ("[::1]:8080", ("::1", 8080)),
        ("camera-box.local:65535", ("camera-box.local", 65535)),
    ],
)
def test_parses_host_and_port(spec, expected):
    assert parse_address(spec) == expected


@pytest.mark.parametrize(
    "spec", ["", ":8080", "host:", "host:http", "65536", "-1", "::1:8080", "a b:80", "٨٠"]
)
def test_bad_address_is_one_line_error(spec):
    with pytest.raises(RtsegError) as info:
        parse_address(spec)
    assert "\n" not in str(info.value)


def test_loopback_hosts():
    assert is_loopback("127.0.0.1") and is_loopback("127.1.2.3") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
