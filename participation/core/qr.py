"""QR codes as inline SVG (segno), for printed pages: invite slips, result notices."""

from __future__ import annotations

from functools import lru_cache

import segno
from markupsafe import Markup


@lru_cache(maxsize=4096)
def _qr_svg(url: str) -> str:
    # Choosing the best mask dominates the cost (~2 ms a code); codes and their URLs do not
    # change, so a reprint of the same page is served from this cache.
    svg = segno.make_qr(url, error="m").svg_inline(omitsize=True, svgclass="qr", lineclass=None)
    # The address is printed beside it, so screen readers skip the picture.
    return svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)


def qr_svg(url: str) -> Markup:
    return Markup(_qr_svg(url))  # segno's own markup for a URL we built: nothing to escape
