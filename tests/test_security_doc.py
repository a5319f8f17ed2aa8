"""SECURITY.md states the limits and lifetimes the code has: each number it
promises is checked against the constant or default it describes."""

from __future__ import annotations

from pathlib import Path

from player import create_app
from player.publish import uploads
from player.web import auth

DOC = (Path(__file__).resolve().parents[1] / "SECURITY.md").read_text(encoding="utf-8")


def test_session_lifetimes():
    assert auth.SESSION_IDLE_SECONDS == 12 * 3600 and "12 hours without a request" in DOC
    assert auth.SESSION_MAX_SECONDS == 7 * 86400 and "7 days after sign-in" in DOC


def test_sign_in_limits():
    assert (auth.MAX_FAILURES_PER_NAME, auth.MAX_FAILURES_PER_ADDRESS) == (5, 20)
    assert auth.LOGIN_WINDOW_SECONDS == 15 * 60
    assert "5 per name from one address, 20 per address across names, in 15 minutes" in DOC


def test_upload_limits():
    assert uploads.MAX_SIDE_FILE_BYTES == 10 * 1024**2 and "10 MiB for a caption file" in DOC
    assert uploads.MAX_PARTS == 64 and "64 parts" in DOC
    assert uploads.MAX_FIELD_BYTES == 64 * 1024 and "64 KiB a text field" in DOC


def test_configured_defaults(tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(tmp_path), "SECRET_KEY": "k",
                      "DATABASE": str(tmp_path / "p.sqlite")})
    config = app.config
    assert config["MAX_UPLOAD_BYTES"] == 2 * 1024**3 and "2 GiB a request" in DOC
    assert (config["PROGRESS_RATE_BURST"], config["PROGRESS_RATE_PER_SECOND"]) == (20, 1.0)
    assert "bursts of 20, then 1 a second" in DOC
    assert config["PROGRESS_MAX_BODY"] == 4096 and "4 KiB a report" in DOC
    assert config["PROGRESS_QUEUE_LIMIT"] == 10_000 and "10,000 reports" in DOC
    assert config["RAW_RETENTION_DAYS"] == 30 and "30 days after the session's last" in DOC
    assert (config["PROGRESS_ADDRESS_BURST"], config["PROGRESS_ADDRESS_PER_SECOND"]) == (300, 30)
    assert "bursts of 300, then 30 a second" in DOC
    assert (config["PROGRESS_NEW_SESSIONS_BURST"],
            config["PROGRESS_NEW_SESSIONS_PER_SECOND"]) == (60, 0.5)
    assert "bursts of 60, then one every 2 seconds" in DOC
    assert (config["PROGRESS_ITEM_NEW_SESSIONS_BURST"],
            config["PROGRESS_ITEM_NEW_SESSIONS_PER_SECOND"]) == (600, 10)
    assert "bursts of 600, then 10 a second" in DOC
    assert config["PROGRESS_DURATION_QUORUM"] == 3 and "3 client addresses agree" in DOC


def test_every_command_it_names_exists(tmp_path):
    app = create_app({"TESTING": True, "MEDIA_DIR": str(tmp_path), "SECRET_KEY": "k",
                      "DATABASE": str(tmp_path / "p.sqlite")})
    for name in ("create-publisher", "set-password", "set-role", "end-sessions",
                 "revoke-publisher", "audit"):
        assert f"player {name}" in DOC
        assert name in app.cli.commands, name


def test_duration_votes_kept():
    from player.progress import store

    assert store.VOTES_KEPT == 64 and "the newest 64 per item" in DOC


def test_the_policy_it_shows_is_the_one_pages_send():
    """Each directive of the page policy, with the extra origins where the
    code adds them (connect-src: the storage's; script-src: hls.js's)."""
    import re

    from player.web.security import content_policy

    shown = re.search(r"## Content-Security-Policy\n.*?```\n(.+?)```", DOC, re.S).group(1)
    shown = " ".join(shown.replace("[storage origin]", "https://media.example")
                     .replace("[hls.js origin]", "https://js.example").split())
    sent = content_policy(["https://media.example"], ["https://js.example"])
    assert shown == sent + "; frame-ancestors ..."
    assert "PLAYER_HLSJS_URL" in DOC and "PLAYER_HLSJS_INTEGRITY" in DOC
