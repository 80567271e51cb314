"""A line-based command language on top of a Store."""

from .store import Store

USAGE = {
    "SET": "SET key value",
    "GET": "GET key",
    "DELETE": "DELETE key",
    "COUNT": "COUNT value",
    "KEYS": "KEYS",
}


def execute(store, line):
    """Run one command line against *store*; return its output, or None."""
    words = line.split()
    if not words:
        return None
    command, args = words[0].upper(), words[1:]
    if command not in USAGE:
        return f"ERROR unknown command {words[0]}"
    if len(args) != len(USAGE[command].split()) - 1:
        return f"ERROR usage: {USAGE[command]}"
    if command == "SET":
        store.set(args[0], args[1])
    elif command == "GET":
        return store.get(args[0], "NULL")
    elif command == "DELETE":
        try:
            store.delete(args[0])
        except KeyError:
            return "NOT FOUND"
    elif command == "COUNT":
        return str(store.count(args[0]))
    elif command == "KEYS":
        return " ".join(store.keys()) or "(empty)"
    return None


def run_script(text, store=None):
    """Run every line of *text*; return the list of outputs."""
    store = Store() if store is None else store
    outputs = []
    for line in text.splitlines():
        output = execute(store, line)
        if output is not None:
            outputs.append(output)
    return outputs
