import pytest

from emitter import EventEmitter


def test_once_listener_is_called_only_once():
    bus = EventEmitter()
    calls = []
    bus.once("ready", lambda value: calls.append(value))
    bus.emit("ready", 1)
    bus.emit("ready", 2)
    assert calls == [1]
    assert bus.listener_count("ready") == 0


def test_once_returns_handler_and_works_as_decorator():
    bus = EventEmitter()
    calls = []

    @bus.once("ready")
    def handler():
        calls.append("ready")

    assert callable(handler)
    handler()
    assert calls == ["ready"]
    bus.emit("ready")
    bus.emit("ready")
    assert calls == ["ready", "ready"]


def test_once_keeps_registration_order():
    bus = EventEmitter()
    calls = []
    bus.on("x", lambda: calls.append("a"))
    bus.once("x", lambda: calls.append("b"))
    bus.on("x", lambda: calls.append("c"))
    bus.emit("x")
    bus.emit("x")
    assert calls == ["a", "b", "c", "a", "c"]


def test_once_listener_can_be_removed_with_original_handler():
    bus = EventEmitter()
    calls = []
    handler = lambda: calls.append("called")
    bus.once("x", handler)
    assert bus.off("x", handler) == 1
    bus.emit("x")
    assert calls == []


def test_listeners_reports_original_handlers():
    bus = EventEmitter()
    first = lambda: None
    second = lambda: None
    bus.on("x", first)
    bus.once("x", second)
    assert bus.listeners("x") == [first, second]


def test_emit_return_value_counts_once_listeners():
    bus = EventEmitter()
    bus.once("x", lambda: None)
    bus.on("*", lambda event: None)
    assert bus.emit("x") == 2
    assert bus.emit("x") == 1


def test_once_not_repeated_when_reemitted_from_inside_itself():
    bus = EventEmitter()
    calls = []

    def handler(depth):
        calls.append(depth)
        if depth < 3:
            bus.emit("tick", depth + 1)

    bus.once("tick", handler)
    bus.emit("tick", 0)
    assert calls == [0]


def test_once_not_repeated_when_reemitted_by_an_earlier_listener():
    bus = EventEmitter()
    calls = []

    def earlier(depth):
        if depth == 0:
            bus.emit("tick", 1)

    bus.on("tick", earlier)
    bus.once("tick", lambda depth: calls.append(depth))
    bus.emit("tick", 0)
    assert calls == [1]


def test_once_listener_is_removed_even_if_it_raises():
    bus = EventEmitter()

    def broken():
        raise RuntimeError("boom")

    bus.once("x", broken)
    with pytest.raises(RuntimeError):
        bus.emit("x")
    assert bus.emit("x") == 0


def test_once_on_wildcard():
    bus = EventEmitter()
    calls = []
    bus.once("*", lambda event, *args: calls.append((event, args)))
    bus.emit("a", 1)
    bus.emit("b", 2)
    assert calls == [("a", (1,))]


def test_once_rejects_non_callable():
    with pytest.raises(TypeError):
        EventEmitter().once("x", 42)


def test_same_handler_registered_with_on_and_once():
    bus = EventEmitter()
    calls = []
    handler = lambda: calls.append(1)
    bus.on("x", handler)
    bus.once("x", handler)
    bus.emit("x")
    bus.emit("x")
    assert calls == [1, 1, 1]
    assert bus.off("x", handler) == 1


def test_regular_listeners_unaffected():
    bus = EventEmitter()
    calls = []
    bus.on("x", lambda: calls.append("x"))
    for _ in range(3):
        bus.emit("x")
    assert calls == ["x", "x", "x"]
