import confini


def test_inline_hash_comment():
    cfg = confini.parse("[server]\nhost = example.org  # public name\n")
    assert cfg.get("server", "host") == "example.org"


def test_inline_semicolon_comment():
    cfg = confini.parse("[server]\nhost = example.org ; public name\n")
    assert cfg.get("server", "host") == "example.org"


def test_comment_after_tab():
    cfg = confini.parse("[server]\nworkers = 4\t# per core\n")
    assert cfg.get("server", "workers") == "4"


def test_typed_getters_ignore_inline_comments():
    cfg = confini.parse("[server]\nport = 8080   # http\ndebug = off ; never in prod\nratio: 0.75 # of memory\n")
    assert cfg.getint("server", "port") == 8080
    assert cfg.getbool("server", "debug") is False
    assert cfg.getfloat("server", "ratio") == 0.75


def test_inline_comment_after_quoted_value():
    cfg = confini.parse('[msg]\ngreeting = "a # b ; c"   # the greeting\nother = \'  x  \' ; padded\n')
    assert cfg.get("msg", "greeting") == "a # b ; c"
    assert cfg.get("msg", "other") == "  x  "


def test_apostrophe_in_unquoted_value():
    cfg = confini.parse("[notes]\ntitle = Bob's notes ; personal\n")
    assert cfg.get("notes", "title") == "Bob's notes"


def test_inline_comment_after_section_header():
    cfg = confini.parse("[server]   # main server\nport = 1\n[db] ; database\nname = x\n")
    assert cfg.sections() == ["server", "db"]
    assert cfg.get("db", "name") == "x"


def test_hash_without_preceding_whitespace_is_kept():
    cfg = confini.parse("[auth]\npassword = abc#123;xyz\n")
    assert cfg.get("auth", "password") == "abc#123;xyz"


def test_color_and_fragment_values_still_work():
    cfg = confini.parse("[t]\naccent = #fff\nurl = http://h/p;params#frag\n")
    assert cfg.get("t", "accent") == "#fff"
    assert cfg.get("t", "url") == "http://h/p;params#frag"
