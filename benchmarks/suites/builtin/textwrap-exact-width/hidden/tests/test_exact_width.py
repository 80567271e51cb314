from wraptext import fill, wrap


def test_line_of_exactly_width_is_kept():
    assert wrap("the quick brown fox", 15) == ["the quick brown", "fox"]


def test_two_letter_words():
    assert wrap("aa bb cc dd", 5) == ["aa bb", "cc dd"]


def test_exact_width_with_indents():
    text = fill("a b c d e f", 5, initial_indent="* ", subsequent_indent="  ")
    assert text == "* a b\n  c d\n  e f"


def test_exact_width_with_quote_prefix():
    lines = wrap("the quick brown fox jumps", 17, initial_indent="> ", subsequent_indent="> ")
    assert lines == ["> the quick brown", "> fox jumps"]


def test_max_lines_with_exact_width():
    lines = wrap("lorem ipsum dolor sit amet consectetur", 11, max_lines=2, placeholder="...")
    assert lines == ["lorem ipsum", "dolor..."]


def test_no_line_exceeds_width():
    text = "a bb ccc dddd eeeee ffffff ggggggg " * 3
    for width in range(7, 30):
        lines = wrap(text, width)
        assert all(len(line) <= width for line in lines)
        assert " ".join(lines).split() == text.split()


def test_lines_are_filled_greedily():
    text = "a bb ccc dddd eeeee ffffff ggggggg " * 3
    for width in range(7, 30):
        lines = wrap(text, width)
        for line, following in zip(lines, lines[1:]):
            assert len(line) + 1 + len(following.split()[0]) > width


def test_first_word_longer_than_width():
    assert wrap("abcdefgh ij", 5) == ["abcdefgh", "ij"]
