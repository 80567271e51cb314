import json

from web import transcripts


def test_messages_are_made_uniform():
    raw = [
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\": \"ls\"}"}}]},
        {"role": "tool", "content": "out", "tool_call_id": "c1", "name": "bash"},
        {"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "image_url"}]},
        "a bare string",
    ]
    page = transcripts.page(json.dumps(raw), 0, 10)
    first, tool, user, bare = page["messages"]
    assert first["tool_calls"] == [{"name": "bash", "arguments": '{\n  "command": "ls"\n}'}] and first["content"] == ""
    assert (tool["tool_call_id"], tool["name"]) == ("c1", "bash")
    assert user["content"] == "hello\n[image_url]"
    assert bare == {"role": "?", "content": "a bare string", "tool_calls": []}


def test_paging_bounds_and_odd_inputs():
    text = json.dumps([{"role": "user", "content": str(i)} for i in range(500)])
    page = transcripts.page(text, 490, 1000)
    assert (page["total"], page["limit"], len(page["messages"])) == (500, transcripts.MAX_PAGE, 10)
    assert transcripts.page(None, 0, 10)["total"] == 0
    assert transcripts.page("not json <b>", 0, 10)["messages"][0]["content"] == "not json <b>"
    assert transcripts.page(json.dumps({"messages": [{"role": "user", "content": "x"}]}), 0, 10)["total"] == 1
