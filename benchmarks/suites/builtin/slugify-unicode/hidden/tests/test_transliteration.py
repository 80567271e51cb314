from slugkit import slugify


def test_accented_letters_are_transliterated():
    assert slugify("Crème Brûlée") == "creme-brulee"
    assert slugify("Ångström café") == "angstrom-cafe"


def test_uppercase_accented_letters():
    assert slugify("ÉCOLE NORMALE SUPÉRIEURE") == "ecole-normale-superieure"


def test_already_decomposed_input():
    # "e" followed by U+0301 COMBINING ACUTE ACCENT
    assert slugify("Re\u0301sume\u0301 writing") == "resume-writing"


def test_letters_without_a_decomposition():
    assert slugify("Straße") == "strasse"
    assert slugify("Ærøskøbing") == "aeroskobing"
    assert slugify("Łódź") == "lodz"
    assert slugify("Œuvre complète") == "oeuvre-complete"


def test_compatibility_characters():
    assert slugify("ﬁnal ﬂag") == "final-flag"
    assert slugify("H₂O") == "h2o"


def test_max_length_counts_transliterated_text():
    assert slugify("Déjà vu again", max_length=7) == "deja-vu"


def test_custom_separator_with_accents():
    assert slugify("Señor Niño", separator="_") == "senor_nino"


def test_non_latin_scripts_still_act_as_separators():
    assert slugify("hello 世界 world") == "hello-world"
    assert slugify("party 🎉 time") == "party-time"


def test_plain_ascii_is_unchanged():
    assert slugify("Plain ASCII title 123") == "plain-ascii-title-123"
