import pytest

from rtseg.serve.auth import authorized, request_token


@pytest.mark.parametrize(
    ("authorization", "query", "expected"),
    [
        ("Bearer abc", "", "abc"),
        ("bearer  abc ", "", "abc"),
        (None, "token=abc", "abc"),
        (None, "x=1&token=a%2Bb", "a+b"),
        ("Basic dXNlcjpwdw==", "token=q", "q"),
        ("Bearer abc", "token=other", "abc"),
        (None, "", None),
        (None, "token=", ""),
    ],
)
def test_request_token(authorization, query, expected):
    assert request_token(authorization, query) == expected


def test_no_token_configured_allows_everything():
    assert authorized(None, None, "")


@pytest.mark.parametrize(
    ("authorization", "query", "ok"),
    [
        ("Bearer s3cret", "", True),
        (None, "token=s3cret", True),
        (None, "", False),
        ("Bearer wrong", "", False),
        (None, "token=s3cre", False),
        (None, "token=", False),
        ("Bearer ünïcode", "", False),
    ],
)
def test_configured_token_must_match(authorization, query, ok):
    assert authorized("s3cret", authorization, query) is ok
