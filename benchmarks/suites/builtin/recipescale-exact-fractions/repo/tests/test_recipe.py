import pytest

from recipescale import Ingredient, format_quantity, parse_line, parse_quantity, scale_line, scale_recipe


def test_parse_quantity_forms():
    assert parse_quantity("2") == 2
    assert parse_quantity("1.5") == 1.5
    assert parse_quantity("1/2") == 0.5
    assert parse_quantity("1 1/2") == 1.5
    assert parse_quantity("¾") == 0.75
    assert parse_quantity("1½") == 1.5
    assert parse_quantity("2 ¼") == 2.25


def test_parse_quantity_errors():
    for bad in ["", "abc", "1/0", "1 1/0", "1/2/3", "-1", "1,5"]:
        with pytest.raises(ValueError):
            parse_quantity(bad)


def test_parse_line():
    assert parse_line("1 1/2 cups flour") == Ingredient(1.5, "cup", "flour")
    assert parse_line("2 Tablespoons olive oil") == Ingredient(2, "tbsp", "olive oil")
    assert parse_line("3 large eggs") == Ingredient(3, None, "large eggs")
    assert parse_line("1 t salt") == Ingredient(1, "tsp", "salt")
    assert parse_line("1 T sugar") == Ingredient(1, "tbsp", "sugar")


def test_line_without_quantity():
    assert parse_line("salt to taste") == Ingredient(None, None, "salt to taste")
    assert scale_line("  salt to taste ", 3) == "salt to taste"


def test_unit_word_alone_is_the_name():
    assert parse_line("2 cups") == Ingredient(2, None, "cups")


def test_scale_by_whole_numbers():
    assert scale_recipe(["2 cups flour", "3 eggs", "100 g butter", "salt to taste"], 2) == [
        "4 cups flour",
        "6 eggs",
        "200 g butter",
        "salt to taste",
    ]


def test_plural_cups():
    assert scale_line("1 cup milk", 1) == "1 cup milk"
    assert scale_line("1 cup milk", 3) == "3 cups milk"
    assert scale_line("4 cups milk", 0.25) == "1 cup milk"


def test_units_are_normalised():
    assert scale_recipe(["1 Tablespoon honey", "2 teaspoons vanilla", "1 kilogram flour", "250 millilitres water"], 1) == [
        "1 tbsp honey",
        "2 tsp vanilla",
        "1 kg flour",
        "250 ml water",
    ]


def test_scale_metric_by_decimal():
    assert scale_line("200 g sugar", 1.5) == "300 g sugar"
    assert scale_line("1 l stock", 0.75) == "0.75 l stock"


def test_invalid_factor():
    for bad in [0, -2, "abc", None, True]:
        with pytest.raises(ValueError):
            scale_line("1 cup milk", bad)
        with pytest.raises(ValueError):
            scale_line("salt to taste", bad)


def test_format_whole_numbers():
    assert format_quantity(3) == "3"
    assert format_quantity(12) == "12"
