import pytest

from emitter import EventEmitter


def test_emit_passes_arguments():
    bus = EventEmitter()
    seen = []
    bus.on("saved", lambda path, size=0: seen.append((path, size)))
    assert bus.emit("saved", "/tmp/a", size=3) == 1
    assert seen == [("/tmp/a", 3)]


def test_listeners_run_in_registration_order():
    bus = EventEmitter()
    order = []
    bus.on("x", lambda: order.append(1))
    bus.on("x", lambda: order.append(2))
    bus.emit("x")
    assert order == [1, 2]


def test_decorator_form():
    bus = EventEmitter()

    @bus.on("ping")
    def handler():
        return "pong"

    assert handler() == "pong"
    assert bus.listeners("ping") == [handler]


def test_emit_without_listeners():
    assert EventEmitter().emit("nothing") == 0


def test_off_specific_handler_and_all():
    bus = EventEmitter()
    a = lambda: None
    b = lambda: None
    bus.on("x", a)
    bus.on("x", b)
    bus.on("x", a)
    assert bus.off("x", a) == 2
    assert bus.listeners("x") == [b]
    assert bus.off("x") == 1
    assert bus.events() == []
    assert bus.off("x", a) == 0


def test_wildcard_listeners_get_event_name_and_run_last():
    bus = EventEmitter()
    calls = []
    bus.on("*", lambda event, *args: calls.append(("*", event, args)))
    bus.on("a", lambda *args: calls.append(("a", args)))
    assert bus.emit("a", 1, 2) == 2
    assert calls == [("a", (1, 2)), ("*", "a", (1, 2))]


def test_cannot_emit_wildcard():
    with pytest.raises(ValueError):
        EventEmitter().emit("*")


def test_listener_added_during_emit_runs_next_time():
    bus = EventEmitter()
    calls = []

    def adder():
        calls.append("adder")
        bus.on("x", lambda: calls.append("late"))

    bus.on("x", adder)
    bus.emit("x")
    assert calls == ["adder"]
    bus.emit("x")
    assert calls == ["adder", "adder", "late"]


def test_listener_removed_during_emit_still_runs_this_time():
    bus = EventEmitter()
    calls = []
    second = lambda: calls.append("second")
    bus.on("x", lambda: bus.off("x", second))
    bus.on("x", second)
    bus.emit("x")
    assert calls == ["second"]
    bus.emit("x")
    assert calls == ["second"]


def test_exceptions_propagate():
    bus = EventEmitter()
    bus.on("boom", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        bus.emit("boom")


def test_non_callable_rejected():
    with pytest.raises(TypeError):
        EventEmitter().on("x", "not callable")


def test_listener_count():
    bus = EventEmitter()
    bus.on("x", print)
    bus.on("x", print)
    assert bus.listener_count("x") == 2
    assert bus.listener_count("y") == 0
