from qskit import decode_component, encode, get_first, parse, parse_pairs


def test_encoded_plus_is_a_literal_plus():
    assert parse("lang=c%2B%2B") == {"lang": ["c++"]}
    assert parse_pairs("sum=1%2B1") == [("sum", "1+1")]


def test_encoded_plus_in_keys():
    assert parse("a%2Bb=1") == {"a+b": ["1"]}


def test_mixed_plus_and_encoded_plus():
    assert decode_component("1+%2B+2") == "1 + 2"
    assert get_first("q=C%2B%2B+tutorial", "q") == "C++ tutorial"


def test_round_trip_of_values_with_plus_signs():
    data = {"expr": "a+b = c", "phone": "+44 20 7946 0958", "op": "+"}
    assert parse(encode(data)) == {key: [value] for key, value in data.items()}


def test_plain_plus_is_still_a_space():
    assert parse("q=a+b") == {"q": ["a b"]}
    assert decode_component("++") == "  "


def test_lowercase_escape_for_plus():
    assert decode_component("%41%2b%42") == "A+B"


def test_other_escapes_still_decoded():
    assert decode_component("%41%42") == "AB"
    assert decode_component("caf%C3%A9+au+lait") == "café au lait"
    assert decode_component("%20") == " "
