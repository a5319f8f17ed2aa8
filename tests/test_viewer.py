"""Viewer identity: anonymous ids and host-signed viewer tokens."""

from __future__ import annotations

import base64
import doctest

import pytest

from player.progress import viewer
from player.progress.viewer import ViewerError, identify, sign_viewer, verify_viewer

SECRET = "shared-with-the-host"
NOW = 1_800_000_000


def test_doctests():
    assert doctest.testmod(viewer).failed == 0


def test_valid_token_gives_its_subject():
    token = sign_viewer("alice@example.org", SECRET, NOW + 60)
    assert verify_viewer(token, SECRET, now=NOW) == "alice@example.org"


def test_unicode_subject_round_trips():
    token = sign_viewer("Олена", SECRET, NOW + 60)
    assert verify_viewer(token, SECRET, now=NOW) == "Олена"


def test_expired_token_is_rejected():
    token = sign_viewer("alice", SECRET, NOW)
    with pytest.raises(ViewerError) as info:
        verify_viewer(token, SECRET, now=NOW)
    assert info.value.reason == "expired"


def test_token_signed_with_another_secret_is_rejected():
    token = sign_viewer("alice", "someone-else", NOW + 60)
    with pytest.raises(ViewerError) as info:
        verify_viewer(token, SECRET, now=NOW)
    assert info.value.reason == "bad_signature"


@pytest.mark.parametrize("part", ["subject", "expires", "signature"])
def test_tampered_token_is_rejected(part):
    version, subject, expires, signature = sign_viewer("alice", SECRET, NOW + 60).split(".")
    if part == "subject":
        subject = base64.urlsafe_b64encode(b"mallory").rstrip(b"=").decode()
    elif part == "expires":
        expires = str(int(expires) + 10**6)
    else:
        signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(ViewerError) as info:
        verify_viewer(".".join([version, subject, expires, signature]), SECRET, now=NOW)
    assert info.value.reason == "bad_signature"


@pytest.mark.parametrize("token", [
    "alice",                                   # an unsigned host id
    "v1.YWxpY2U.1900000000",                   # no signature
    "v2.YWxpY2U.1900000000.c2ln",              # unknown version
    "v1.YWxpY2U.soon.c2ln",                    # expiry not a number
    "v1.YWxpY2U.１９００.c2ln",                  # full-width digits
    "v1.YWxp Y2U.1900000000.c2ln",             # not base64url
    "v1.YWxpY2U.1900000000.c2ln.extra",
    "",
])
def test_malformed_tokens_are_rejected(token):
    with pytest.raises(ViewerError) as info:
        verify_viewer(token, SECRET, now=NOW)
    assert info.value.reason == "malformed"


def test_server_without_secret_trusts_no_token():
    token = sign_viewer("alice", SECRET, NOW + 60)
    for secret in (None, ""):
        with pytest.raises(ViewerError) as info:
            verify_viewer(token, secret, now=NOW)
        assert info.value.reason == "not_configured"


def test_sign_refuses_empty_and_oversized_subjects():
    with pytest.raises(ValueError):
        sign_viewer("", SECRET, NOW)
    with pytest.raises(ValueError):
        sign_viewer("x" * 257, SECRET, NOW)


def test_identify_prefers_the_token_and_never_falls_back():
    token = sign_viewer("alice", SECRET, NOW + 60)
    host = identify("a" * 20, token, secret=SECRET, pepper="p", now=NOW)
    assert host.kind == "host"
    assert host == identify(None, token, secret=SECRET, pepper="p", now=NOW)
    with pytest.raises(ViewerError):
        identify("a" * 20, token + "x", secret=SECRET, pepper="p", now=NOW)


def test_identify_anonymous_ids():
    one = identify("0f8fad5b-d9cb-469f-a165-70867728950e", None, secret=None, pepper="p")
    assert one.kind == "anonymous" and len(one.key) == 32
    assert "0f8fad5b" not in one.key
    for bad in (None, "short", "x" * 65, "has space in it!!", 12345678901234567):
        with pytest.raises(ViewerError):
            identify(bad, None, secret=None, pepper="p")


def test_keys_depend_on_kind_and_pepper():
    keys = {
        viewer.viewer_key("anonymous", "a" * 20, "p"),
        viewer.viewer_key("host", "a" * 20, "p"),
        viewer.viewer_key("anonymous", "a" * 20, "q"),
    }
    assert len(keys) == 3


@pytest.mark.parametrize("pepper", ["p", "a pepper of some length", "é" * 40, "x" * 200])
def test_viewer_key_is_hmac_sha256_of_kind_and_id(pepper):
    import hmac

    from player.progress.viewer import viewer_key

    for kind, ident in [("anonymous", "a" * 16), ("host", "user-42"), ("host", "ü" * 50)]:
        expected = hmac.new(pepper.encode(), f"{kind}:{ident}".encode(), "sha256").hexdigest()
        assert viewer_key(kind, ident, pepper) == expected[:32]
