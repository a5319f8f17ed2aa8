"""The progress domain: report validation, resume rules, sessions, statistics."""

from __future__ import annotations

import doctest
import math

import pytest

from player.progress import model as progress
from player.progress.model import (
    ProgressError,
    ResumeRules,
    SessionState,
    Tally,
    TokenBucket,
    apply_report,
    check_within,
    merge_ranges,
    parse_report,
    resume_offer,
    statistics,
    tally_sessions,
)

RULES = ResumeRules()


def test_doctests():
    assert doctest.testmod(progress).failed == 0


def report(**fields) -> dict:
    return {"session": "session-1", "position": 10.0, **fields}


# -- resume rules ---------------------------------------------------------------

def offer(position, duration, ended=False, rules=RULES):
    return resume_offer(position, duration, ended, rules)


def test_no_history_no_offer():
    assert offer(None, 600).reason == "no_history"


def test_unknown_duration_no_offer():
    assert offer(100, None).reason == "unknown_duration"


def test_items_under_ten_seconds_are_not_resumable():
    # Deliberately changed: the floor was a minute, so the demo's 22 s audio
    # item never resumed.
    assert offer(5, 9.9) == progress.ResumeOffer(None, 0.0, "too_short")
    assert offer(5, 10).offer == "resume"


@pytest.mark.parametrize(("duration", "resume_from", "finished_at"), [
    # A one-minute clip resumes from 15 s, the 22 s audio item from 5.5 s.
    (10, 2.5, 10 - 10 / 6), (22, 5.5, 22 - 22 / 6), (60, 15, 50), (120, 30, 108),
    (600, 30, 540), (7200, 360, 6480),
])
def test_the_bar_scales_with_the_length(duration, resume_from, finished_at):
    assert RULES.resume_from(duration) == pytest.approx(resume_from)
    assert RULES.finished_at(duration) == pytest.approx(finished_at)
    below = math.nextafter(resume_from, 0)
    assert offer(below, duration).reason == "too_early"
    assert offer(resume_from, duration) == progress.ResumeOffer("resume", resume_from, "resume")
    assert offer(math.nextafter(finished_at, 0), duration).offer == "resume"
    assert offer(finished_at, duration).offer == "watch_again"


def test_every_resumable_length_has_a_resume_window():
    for tenth in range(100, 100_000, 7):
        duration = tenth / 10
        assert RULES.resume_from(duration) < RULES.finished_at(duration), duration


def test_no_offer_under_five_percent():
    # 40 s is past the 30 s floor but under 5 % of 1000 s.
    assert offer(49.9, 1000).reason == "too_early"
    assert offer(50, 1000) == progress.ResumeOffer("resume", 50, "resume")


def test_no_offer_under_thirty_seconds():
    # 20 s is 10 % of 200 s, but under the 30 s floor.
    assert offer(29.9, 200).reason == "too_early"
    assert offer(30, 200).offer == "resume"


def test_finished_from_ninety_percent():
    assert offer(899.9, 1000).offer == "resume"
    assert offer(900, 1000) == progress.ResumeOffer("watch_again", 0.0, "finished")


def test_finished_within_the_last_ten_seconds():
    # In an 80 s item the last 10 s begin before 90 % (72 s).
    assert offer(69.9, 80).offer == "resume"
    assert offer(70, 80).offer == "watch_again"


def test_ended_event_means_finished_wherever_the_position():
    assert offer(100, 1000, ended=True).offer == "watch_again"


def test_rules_come_from_configuration():
    rules = ResumeRules.from_config({
        "RESUME_MIN_PERCENT": 10, "RESUME_MIN_SECONDS": 2, "FINISHED_PERCENT": 80,
        "FINISHED_TAIL_SECONDS": 1, "RESUME_MIN_DURATION": 10,
    })
    assert rules == ResumeRules(10, 2, 80, 1, 10)
    assert offer(2.9, 30, rules=rules).reason == "too_early"
    assert offer(3, 30, rules=rules).offer == "resume"
    assert offer(24, 30, rules=rules).offer == "watch_again"
    assert ResumeRules.from_config({}) == RULES


def test_items_too_short_to_resume_finish_by_percent_only():
    # Deliberately changed for 20 s: resumable now, it ends within its last
    # sixth (the 10 s tail scaled down), not at 90 % only.
    assert RULES.finished_at(20) == pytest.approx(20 - 20 / 6)
    assert RULES.finished_at(5) == 4.5
    assert RULES.finished_at(9.9) == pytest.approx(8.91)


# -- reports -----------------------------------------------------------------------

def test_parse_a_full_report():
    parsed = parse_report(report(
        duration=226, rate=1.5, captions="en-GB", descriptions=True, event="pause", seq=7,
        played=[[5, 8], [0, 2], [2, 3]]))
    assert parsed.played == ((0, 3), (5, 8))
    assert parsed.captions == "en-gb"
    assert (parsed.rate, parsed.descriptions, parsed.event, parsed.seq) == (1.5, True, "pause", 7)


@pytest.mark.parametrize("tag", ["en", "EN", "pt-BR", "zh-Hant-TW", "sr-Latn-RS-ekavsk",
                                 "en-x-simple", "de-CH-1996"])
def test_any_well_formed_captions_language_is_taken(tag):
    """The library's own tags and a host page's <track srclang> alike."""
    assert parse_report(report(captions=tag)).captions == tag.lower()


@pytest.mark.parametrize("tag", ["e", "en_GB", "en-", "English please", "en\n", "en-" + "a" * 9,
                                 "en-" + "-".join(["abcde"] * 12)])
def test_malformed_captions_language_is_refused(tag):
    with pytest.raises(ProgressError) as caught:
        parse_report(report(captions=tag))
    assert caught.value.field == "captions"


@pytest.mark.parametrize("fields, field", [
    ({"position": -1}, "position"),
    ({"position": math.nan}, "position"),
    ({"position": math.inf}, "position"),
    ({"position": -math.inf}, "position"),
    ({"position": "12"}, "position"),
    ({"position": True}, "position"),
    ({"position": None}, "position"),
    ({"duration": -5}, "duration"),
    ({"duration": math.inf}, "duration"),
    ({"rate": 0}, "rate"),
    ({"rate": 100}, "rate"),
    ({"captions": "English please"}, "captions"),
    ({"captions": 7}, "captions"),
    ({"descriptions": "yes"}, "descriptions"),
    ({"event": "explode"}, "event"),
    ({"event": {}}, "event"),
    ({"event": ["ended"]}, "event"),
    ({"seq": -1}, "seq"),
    ({"seq": 1.5}, "seq"),
    ({"session": "short"}, "session"),
    ({"session": None}, "session"),
    ({"played": [[3, 1]]}, "played"),
    ({"played": [[1, math.nan]]}, "played"),
    ({"played": [[-1, 2]]}, "played"),
    ({"played": [[1, 2, 3]]}, "played"),
    ({"played": "0-10"}, "played"),
    ({"played": [[0, 1]] * 65}, "played"),
])
def test_bad_fields_are_named(fields, field):
    with pytest.raises(ProgressError) as info:
        parse_report(report(**fields))
    assert info.value.field == field


def test_report_must_be_an_object():
    for data in ([], "x", None, 3):
        with pytest.raises(ProgressError):
            parse_report(data)


def test_past_the_end_is_refused_but_a_frame_over_is_pinned():
    parsed = parse_report(report(position=200.5, played=[[190, 200.5]]))
    pinned = check_within(parsed, 200)
    assert pinned.position == 200 and pinned.played == ((190, 200),)
    with pytest.raises(ProgressError) as info:
        check_within(parse_report(report(position=202.1)), 200)
    assert info.value.field == "position"
    with pytest.raises(ProgressError) as info:
        check_within(parse_report(report(position=5, played=[[0, 500]])), 200)
    assert info.value.field == "played"
    # Nobody knows the item's duration: the one the player reports is the end.
    assert check_within(parsed, None) is parsed
    with pytest.raises(ProgressError):
        check_within(parse_report(report(position=202.1, duration=200)), None)


def test_merge_ranges_joins_overlapping_and_touching():
    assert merge_ranges([]) == ()
    assert merge_ranges([(10, 20), (0, 5), (5, 6), (15, 30), (40, 41)]) == (
        (0, 6), (10, 30), (40, 41))


# -- sessions -------------------------------------------------------------------------

def test_sessions_add_up_played_time_and_keep_the_newest_position():
    state = SessionState()
    state = apply_report(state, parse_report(report(
        position=10, seq=1, captions="en", played=[[0, 10]])))
    # A late heartbeat (seq 1 again) arrives after the pagehide beacon (seq 3).
    state = apply_report(state, parse_report(report(
        position=30, seq=3, descriptions=True, played=[[20, 30]])))
    state = apply_report(state, parse_report(report(
        position=20, seq=2, captions="en", played=[[10, 20]])))
    assert state.position == 30 and state.seq == 3
    assert state.ranges == ((0, 30),)
    assert state.watched == 30
    assert state.captions == {"en": 20}
    assert state.descriptions == 10
    assert SessionState.from_json(state.to_json()) == state


def test_a_session_cannot_collect_ranges_without_bound():
    state = SessionState(ranges=tuple((float(n), n + 0.5) for n in range(1000)))
    with pytest.raises(ProgressError):
        apply_report(state, parse_report(report(position=2000, played=[[1500, 1501]])))


# -- statistics -------------------------------------------------------------------------

def scripted_sessions() -> list[tuple[str, SessionState]]:
    """Four plays by three viewers of a 200 s item, and one page load that
    never played; the expected numbers below are worked out by hand."""
    def play(*reports) -> SessionState:
        state = SessionState()
        for seq, fields in enumerate(reports):
            state = apply_report(state, parse_report(report(seq=seq, **fields)))
        return state

    return [
        # A, first visit: the first half with English captions.
        ("A", play({"position": 100, "captions": "en", "played": [[0, 100]]})),
        # A again: the whole item, captions off then Ukrainian, and the end event.
        ("A", play({"position": 100, "played": [[0, 100]]},
                   {"position": 200, "captions": "uk", "played": [[100, 200]],
                    "event": "ended"})),
        # B: 0-50 twice (a rewind), then 150-190, descriptions on throughout.
        ("B", play({"position": 50, "descriptions": True, "played": [[0, 50]]},
                   {"position": 50, "descriptions": True, "played": [[0, 50]]},
                   {"position": 190, "descriptions": True, "played": [[150, 190]]})),
        # C: opened the page, sought, never played.
        ("C", play({"position": 80, "event": "seek"})),
        # D: 20-60 with English captions.
        ("D", play({"position": 60, "captions": "en", "played": [[20, 60]]})),
    ]


def expected_retention() -> list[int]:
    counts = [0] * 101
    # Percent spans each play covers at 2 s per percent, worked out by hand.
    for low, high in [(0, 50), (0, 100), (0, 25), (75, 95), (10, 30)]:
        for p in range(low, high + 1):
            counts[p] += 1
    return counts


def test_statistics_match_hand_computed_values():
    stats = statistics(tally_sessions(scripted_sessions(), 200, RULES), 200)
    assert stats.sessions == 5
    assert stats.plays == 4
    assert stats.unique_viewers == 3
    assert stats.total_watch_time == 480            # 100 + 200 + 140 + 40
    assert stats.average_watch_time == 120
    assert stats.average_percent_watched == 53.75   # (50 + 100 + 45 + 20) / 4
    # A's second play (it ended), and B's (it reached 190 s, past 180 s).
    assert stats.completion_rate == 0.5
    assert stats.captions_share == 240 / 480
    assert stats.captions_by_language == {"en": 140 / 480, "uk": 100 / 480}
    assert stats.descriptions_share == 140 / 480
    counts = expected_retention()
    assert [n for _, n, _ in stats.retention] == counts
    assert [share for _, _, share in stats.retention] == [n / 4 for n in counts]
    assert counts[0] == 3 and counts[25] == 4 and counts[26] == 3 and counts[100] == 1


def test_folded_totals_add_up_to_the_same_statistics():
    sessions = scripted_sessions()
    whole = tally_sessions(sessions, 200, RULES)
    # Viewers are distinct per batch: keep each viewer in one batch so the sum is exact.
    early = tally_sessions(sessions[:3], 200, RULES)
    late = tally_sessions(sessions[3:], 200, RULES)
    assert Tally.from_json((early + late).to_json()) == whole


def test_retention_counts_a_range_ending_exactly_on_a_percent():
    # 0.4 * 3 is 1.2000000000000002 in floating point; 3 * 40 / 100 is 1.2.
    state = SessionState(ranges=((0.0, 1.2),), watched=1.2)
    tally = tally_sessions([("v", state)], 3.0, RULES)
    assert tally.retention[40] == 1 and tally.retention[41] == 0


def test_statistics_of_nothing_are_zero():
    stats = statistics(Tally(), 200)
    assert (stats.plays, stats.average_watch_time, stats.completion_rate,
            stats.captions_share) == (0, 0, 0, 0)
    assert all(share == 0 for _, _, share in stats.retention)


# -- flood control -------------------------------------------------------------------------

def test_token_bucket_allows_a_burst_then_refills():
    bucket = TokenBucket(burst=3, per_second=0.5)
    assert [bucket.take("v", 100.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.take("v", 100.0) == 2.0
    assert bucket.take("other", 100.0) == 0
    assert bucket.take("v", 101.0) == 1.0
    assert bucket.take("v", 102.0) == 0


def test_token_bucket_forgets_idle_viewers():
    bucket = TokenBucket(burst=2, per_second=1, max_keys=3)
    for n in range(4):
        bucket.take(f"v{n}", 0.0)
    bucket.take("late", 10.0)
    assert set(bucket._buckets) == {"late"}


def test_a_token_given_back_is_as_if_never_taken():
    taken, untouched = TokenBucket(burst=2, per_second=0.5), TokenBucket(burst=2, per_second=0.5)
    for bucket in (taken, untouched):
        assert bucket.take("v", 100.0) == 0
    assert taken.take("v", 101.0) == 0
    taken.give_back("v")
    taken.give_back("never seen")
    assert [taken.take("v", 102.0) for _ in range(3)] == [
        untouched.take("v", 102.0) for _ in range(3)] == [0, 0, 2.0]
    assert "never seen" not in taken._buckets
