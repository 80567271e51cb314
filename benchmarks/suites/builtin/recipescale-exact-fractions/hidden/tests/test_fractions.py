from fractions import Fraction

import pytest

from recipescale import Ingredient, format_quantity, parse_line, parse_quantity, scale_line, scale_recipe


def test_thirds_scale_exactly():
    assert scale_recipe(["1/3 cup sugar", "2/3 cup milk"], 2) == ["2/3 cup sugar", "1 1/3 cups milk"]


def test_factor_given_as_a_fraction_string():
    assert scale_recipe(["1 1/2 cups flour", "6 eggs", "3/4 tsp salt"], "1/3") == [
        "1/2 cup flour",
        "2 eggs",
        "1/4 tsp salt",
    ]


def test_every_factor_form_gives_the_same_result():
    for factor in ["1.5", "1 1/2", "3/2", "1½", Fraction(3, 2), 1.5]:
        assert scale_recipe(["2/3 cup oil", "1/4 tsp nutmeg"], factor) == ["1 cup oil", "3/8 tsp nutmeg"]


def test_mixed_numbers_in_output():
    assert scale_recipe(["3/4 cup milk", "1 tbsp butter", "1/8 tsp pepper"], 2) == [
        "1 1/2 cups milk",
        "2 tbsp butter",
        "1/4 tsp pepper",
    ]
    assert scale_line("1/8 tsp pepper", 3) == "3/8 tsp pepper"


def test_metric_units_are_written_as_decimals():
    assert scale_recipe(["250 g butter", "1/2 kg potatoes", "1 1/2 l stock", "2 ml vanilla"], "1/3") == [
        "83.33 g butter",
        "0.17 kg potatoes",
        "0.5 l stock",
        "0.67 ml vanilla",
    ]


def test_other_denominators_fall_back_to_decimals():
    assert scale_line("1 tsp salt", "1/5") == "0.2 tsp salt"
    assert scale_line("1/3 tsp chili", "1/3") == "0.11 tsp chili"
    assert scale_line("5 eggs", "1/6") == "0.83 eggs"
    assert scale_line("2 cups rice", "0.7") == "1.4 cups rice"


def test_vulgar_fractions_scale_exactly():
    assert scale_recipe(["⅓ cup oil", "1½ cups water", "⅛ tsp cloves"], 3) == [
        "1 cup oil",
        "4 1/2 cups water",
        "3/8 tsp cloves",
    ]


def test_decimals_in_the_recipe_are_exact():
    assert scale_line("0.25 cup cream", 3) == "3/4 cup cream"
    assert scale_line("0.1 cup rum", 10) == "1 cup rum"


def test_parse_quantity_returns_exact_fractions():
    for text, expected in [("0.1", Fraction(1, 10)), ("1 1/2", Fraction(3, 2)), ("⅓", Fraction(1, 3)),
                           ("2⅔", Fraction(8, 3)), ("7", Fraction(7)), ("2/6", Fraction(1, 3))]:
        value = parse_quantity(text)
        assert isinstance(value, Fraction), text
        assert value == expected, text
    assert parse_line("⅔ cup sugar") == Ingredient(Fraction(2, 3), "cup", "sugar")


def test_format_quantity_with_units():
    assert format_quantity(Fraction(7, 4)) == "1 3/4"
    assert format_quantity(Fraction(2, 3), "cup") == "2/3"
    assert format_quantity(Fraction(1, 3), "g") == "0.33"
    assert format_quantity(Fraction(5, 2), "kg") == "2.5"
    assert format_quantity(Fraction(5)) == "5"
    assert format_quantity(Fraction(2), "ml") == "2"
    assert format_quantity(Fraction(1, 7), "tsp") == "0.14"


# Behaviour that must not change.

def test_invalid_factors_are_still_rejected():
    for bad in ["0", "1/0", "-1/2", "abc", "", 0, -1.5, None]:
        with pytest.raises(ValueError):
            scale_line("1 cup milk", bad)


def test_whole_number_scaling_is_unchanged():
    assert scale_recipe(["2 cups flour", "100 g sugar", "3 eggs", "1 pinch of salt", "pepper"], 2) == [
        "4 cups flour",
        "200 g sugar",
        "6 eggs",
        "2 pinch of salt",
        "pepper",
    ]


def test_unit_names_and_plural_are_unchanged():
    assert scale_recipe(["1 Cup milk", "2 tablespoons oil", "1 T sugar", "500 grams flour"], 1) == [
        "1 cup milk",
        "2 tbsp oil",
        "1 tbsp sugar",
        "500 g flour",
    ]
    assert scale_line("1 cup milk", 1) == "1 cup milk"
