"""Each unit's share of a cost by floor area (Civil Code Art. 283): pure arithmetic, no Flask, no
database.

Residents share the cost of common parts in proportion to the floor area of their units unless
they agreed otherwise. A share is money, so it is counted in whole fen (0.01 yuan), and the
shares must add up to the total exactly, fen for fen; see `split_by_area` for how the fen left
over by rounding are handed out.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

FEN = Decimal("0.01")


def _fen(amount: Decimal) -> int:
    return int((amount / FEN).to_integral_value())


def split_by_area(total: Decimal, areas: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Split `total` (yuan) among units `{unit_id: area in m²}` in proportion to their areas.

    Rounding (largest remainder, also called Hamilton's method), in whole fen:

    1. each unit's exact share is total × area / sum of areas, counted in fen;
    2. each unit first gets that exact share rounded down to a whole fen;
    3. the fen still missing (fewer than the number of units) go one each to the units with
       the largest fractions cut off in step 2; equal fractions go to the lower unit id first.

    So every share is within one fen of its exact value, the shares add up exactly to `total`,
    and the result does not depend on the order of `areas`.

    Edge cases: no units gives {}; a zero total gives every unit 0.00; a unit of area 0 gets 0.00
    while others have area; if every area is 0 (none recorded) the total is split equally per
    unit by the same rounding. A negative total or area, a total that is not a whole number of
    fen, or a non-finite number raises ValueError.
    """
    total = Decimal(total)
    if not total.is_finite() or total < 0:
        raise ValueError("the total must be a finite amount of at least 0")
    if total != total.quantize(FEN):
        raise ValueError("the total must be a whole number of fen (0.01)")
    clean: dict[int, Decimal] = {}
    for unit_id, area in areas.items():
        area = Decimal(area)
        if not area.is_finite() or area < 0:
            raise ValueError(f"the area of unit {unit_id} must be a finite number of at least 0")
        clean[int(unit_id)] = area
    if not clean:
        return {}
    total_fen = _fen(total)
    if sum(clean.values()) == 0:
        clean = dict.fromkeys(clean, Decimal(1))
    area_sum = sum(clean.values())
    # Exact share in fen = total_fen * area / area_sum; keep the division exact by working with
    # the numerator (total_fen * area) and the common denominator (area_sum).
    floors: dict[int, int] = {}
    remainders: dict[int, Decimal] = {}
    for unit_id, area in clean.items():
        numerator = total_fen * area
        whole = int(numerator // area_sum)
        floors[unit_id] = whole
        remainders[unit_id] = numerator - whole * area_sum
    missing = total_fen - sum(floors.values())
    for unit_id in sorted(remainders, key=lambda u: (-remainders[u], u))[:missing]:
        floors[unit_id] += 1
    return {unit_id: (Decimal(fen) * FEN).quantize(FEN) for unit_id, fen in floors.items()}
