from headerdict import Headers, parse_headers


def test_splits_one_field_on_commas():
    h = Headers([("Accept", "text/html, application/json;q=0.9,text/plain")])
    assert h.get_list("Accept") == ["text/html", "application/json;q=0.9", "text/plain"]


def test_combines_repeated_fields_in_order():
    h = parse_headers("Cache-Control: no-cache, no-store\r\nVary: Accept\r\ncache-control: max-age=0\r\n")
    assert h.get_list("CACHE-CONTROL") == ["no-cache", "no-store", "max-age=0"]


def test_missing_header_gives_empty_list():
    assert Headers().get_list("Accept") == []
    assert Headers([("Accept", "*/*")]).get_list("Vary") == []


def test_empty_items_are_dropped():
    h = Headers([("Vary", " , Accept,, Origin , "), ("Vary", ""), ("Vary", "Cookie")])
    assert h.get_list("vary") == ["Accept", "Origin", "Cookie"]


def test_commas_inside_quoted_strings_do_not_split():
    h = Headers([("Link", '<a>; title="one, two", <b>'), ("Link", '<c>; title="x,y"')])
    assert h.get_list("Link") == ['<a>; title="one, two"', "<b>", '<c>; title="x,y"']


def test_escaped_quote_inside_quoted_string():
    h = Headers([("X-Tags", r'"say \"hi, there\"", plain')])
    assert h.get_list("x-tags") == [r'"say \"hi, there\""', "plain"]


def test_get_list_does_not_change_stored_fields():
    h = Headers([("Accept", "a, b")])
    h.get_list("Accept")
    assert h.get_all("Accept") == ["a, b"]
    assert h.items() == [("Accept", "a, b")]


def test_existing_lookups_unchanged():
    h = Headers([("Accept", "a, b"), ("accept", "c")])
    assert h["ACCEPT"] == "a, b"
    assert h.get("accept") == "a, b"
    assert h.get_all("Accept") == ["a, b", "c"]
    assert len(h) == 2
