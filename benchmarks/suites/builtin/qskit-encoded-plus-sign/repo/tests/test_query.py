from qskit import encode, get_first, parse, parse_pairs, quote, unquote


def test_parse_groups_repeated_keys():
    assert parse("?tag=red&tag=blue&q=x") == {"tag": ["red", "blue"], "q": ["x"]}


def test_plus_means_space():
    assert parse("q=hello+world") == {"q": ["hello world"]}
    assert parse_pairs("full+name=Ada+Lovelace") == [("full name", "Ada Lovelace")]


def test_percent_escapes_are_decoded_as_utf8():
    assert parse("city=K%C3%B6ln&q=a%20b%26c") == {"city": ["Köln"], "q": ["a b&c"]}


def test_blank_values():
    assert parse_pairs("a=1&b=&c") == [("a", "1")]
    assert parse_pairs("a=1&b=&c", keep_blank=True) == [("a", "1"), ("b", ""), ("c", "")]
    assert parse_pairs("&&a=1&") == [("a", "1")]


def test_value_may_contain_equals_sign():
    assert parse_pairs("expr=a%3Db=c") == [("expr", "a=b=c")]


def test_malformed_escapes_are_kept():
    assert unquote("100%") == "100%"
    assert unquote("%zz%4") == "%zz%4"


def test_get_first():
    assert get_first("a=1&a=2", "a") == "1"
    assert get_first("a=1", "b", default="x") == "x"


def test_quote():
    assert quote("fish & chips") == "fish+%26+chips"
    assert quote("Köln") == "K%C3%B6ln"
    assert quote("a-b.c_d~e") == "a-b.c_d~e"


def test_encode_mapping_and_pairs():
    assert encode({"q": "fish & chips", "page": 2}) == "q=fish+%26+chips&page=2"
    assert encode({"tag": ["a", "b"]}) == "tag=a&tag=b"
    assert encode([("x", "1"), ("x", "2")]) == "x=1&x=2"
