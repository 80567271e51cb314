from kvstore import Store
from kvstore.commands import execute, run_script


def test_script():
    assert run_script("SET a 10\nSET b 10\nGET a\nCOUNT 10\nDELETE a\nGET a\nCOUNT 10\nKEYS") == [
        "10", "2", "NULL", "1", "b",
    ]


def test_commands_are_case_insensitive():
    assert run_script("set a 1\nget a") == ["1"]


def test_delete_missing_key():
    assert run_script("DELETE nope") == ["NOT FOUND"]


def test_errors():
    assert run_script("FROB a\nSET a\nGET\nKEYS x") == [
        "ERROR unknown command FROB",
        "ERROR usage: SET key value",
        "ERROR usage: GET key",
        "ERROR usage: KEYS",
    ]


def test_empty_store_keys_and_blank_lines():
    assert run_script("\n   \nKEYS\n") == ["(empty)"]


def test_execute_against_existing_store():
    store = Store()
    store.set("x", "1")
    assert execute(store, "GET x") == "1"
    assert execute(store, "SET y 2") is None
    assert store.get("y") == "2"
