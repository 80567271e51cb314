from durfmt import format_duration, report


def test_full_durations_unchanged():
    assert format_duration(5025) == "1h 23m 45s"


def test_short_durations_keep_minutes():
    # Report columns line up on the minutes: a duration under a minute still shows them.
    assert format_duration(45) == "0m 45s"


def test_report_lists_longest_first():
    assert report({"a": 1, "b": 3600}).splitlines()[0].startswith("b")
