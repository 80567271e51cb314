"""The EventEmitter class."""

WILDCARD = "*"


class EventEmitter:
    def __init__(self):
        self._listeners = {}  # event name -> list of handlers, in registration order

    def on(self, event, handler=None):
        """Register *handler* for *event* and return it.

        Without *handler*, return a decorator that registers the decorated
        function.  The same handler may be registered more than once; it is
        then called once per registration.
        """
        if handler is None:
            def decorator(func):
                self.on(event, func)
                return func
            return decorator
        if not callable(handler):
            raise TypeError(f"handler must be callable, got {type(handler).__name__}")
        self._listeners.setdefault(event, []).append(handler)
        return handler

    def off(self, event, handler=None):
        """Remove *handler* (every registration of it) from *event*.

        Without *handler*, remove all listeners of *event*.  Returns the
        number of registrations removed.
        """
        handlers = self._listeners.get(event)
        if not handlers:
            return 0
        if handler is None:
            del self._listeners[event]
            return len(handlers)
        kept = [h for h in handlers if h != handler]
        removed = len(handlers) - len(kept)
        if kept:
            self._listeners[event] = kept
        else:
            del self._listeners[event]
        return removed

    def emit(self, event, *args, **kwargs):
        """Call the listeners of *event*, then the wildcard listeners.

        Wildcard listeners receive the event name as first argument.
        Returns the number of listeners called.
        """
        if event == WILDCARD:
            raise ValueError("cannot emit the wildcard event")
        specific = list(self._listeners.get(event, ()))
        wildcard = list(self._listeners.get(WILDCARD, ()))
        for handler in specific:
            handler(*args, **kwargs)
        for handler in wildcard:
            handler(event, *args, **kwargs)
        return len(specific) + len(wildcard)

    def listeners(self, event):
        """The handlers registered for *event*, in call order."""
        return list(self._listeners.get(event, ()))

    def listener_count(self, event):
        return len(self._listeners.get(event, ()))

    def events(self):
        """Names of events that currently have listeners."""
        return list(self._listeners)
