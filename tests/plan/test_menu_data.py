"""The default menu shipped with the package."""

from __future__ import annotations

from collections import Counter

from participation.plan.menu_data import CATEGORIES, DEFAULT_MENU


def test_default_menu_has_31_unique_items_in_all_three_categories():
    assert len(DEFAULT_MENU) == 31
    assert len({item.key for item in DEFAULT_MENU}) == 31
    counts = Counter(item.category for item in DEFAULT_MENU)
    assert set(counts) == set(CATEGORIES) == {"basic", "improvement", "upgrade"}
    assert all(n >= 5 for n in counts.values())


def test_every_item_is_named_and_described_in_both_languages():
    for item in DEFAULT_MENU:
        assert item.key.isidentifier() and item.key == item.key.lower()
        for text in (item.name_zh, item.name_en, item.description_zh, item.description_en):
            assert text.strip() == text and text, item.key
        assert len(item.name_zh) <= 100 and len(item.name_en) <= 100
    assert len({item.name_zh for item in DEFAULT_MENU}) == 31
    assert len({item.name_en for item in DEFAULT_MENU}) == 31
    keys = {item.key for item in DEFAULT_MENU}
    assert {"insulation", "lift", "water_supply", "roof", "parcel_station"} <= keys
