import json

from web import events


def write(path, records, tail=""):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)


def test_reads_only_complete_lines_and_resumes_from_the_offset(tmp_path):
    log = tmp_path / "events.jsonl"
    write(log, [{"t": 1, "event": "a"}, {"t": 2, "event": "b"}], tail='{"t": 3, "ev')
    first = events.read(tmp_path, 0)
    assert [e["event"] for e in first["events"]] == ["a", "b"]
    with open(log, "a") as f:
        f.write('ent": "c"}\nnot json\n')
    second = events.read(tmp_path, first["offset"])
    assert [e["event"] for e in second["events"]] == ["c"]
    assert events.read(tmp_path, second["offset"])["events"] == []


def test_without_an_offset_reads_the_recent_tail(tmp_path):
    write(tmp_path / "events.jsonl", [{"t": i, "event": "x" * 100, "i": i} for i in range(2000)])
    out = events.read(tmp_path, None, limit=50)
    assert [e["i"] for e in out["events"]] == list(range(1950, 2000))
    assert out["offset"] == (tmp_path / "events.jsonl").stat().st_size


def test_missing_or_replaced_log(tmp_path):
    assert events.read(tmp_path, 10) == {"events": [], "offset": 0, "size": 0}
    write(tmp_path / "events.jsonl", [{"t": 1, "event": "a"}])
    assert [e["event"] for e in events.read(tmp_path, 10**6)["events"]] == ["a"]  # an offset past the end: start over
