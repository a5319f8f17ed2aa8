"""Geometry of the statistics page's SVG charts, computed here so the
template only draws: the retention curve and the usage bars."""

from __future__ import annotations

CHART_WIDTH, CHART_HEIGHT = 640, 260
CHART_LEFT, CHART_TOP, CHART_RIGHT, CHART_BOTTOM = 56, 16, 32, 44


def retention_chart(retention: list[dict]) -> dict:
    """Geometry of the retention curve as the template draws it.

    Across: percent of the item; up: the share of plays still watching.
    """
    inner_w = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    inner_h = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM

    def x(percent: float) -> float:
        return round(CHART_LEFT + inner_w * percent / 100, 2)

    def y(share: float) -> float:
        return round(CHART_TOP + inner_h * (1 - share), 2)

    points = " ".join(f"{x(p['percent'])},{y(p['share'])}" for p in retention)
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT,
        "points": points,
        "area": f"{x(0)},{y(0)} {points} {x(100)},{y(0)}",
        "x_ticks": [{"x": x(p), "label": f"{p}%"} for p in range(0, 101, 25)],
        "y_ticks": [{"y": y(s / 100), "label": f"{s}%"} for s in range(0, 101, 25)],
        "left": CHART_LEFT, "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP, "bottom": CHART_HEIGHT - CHART_BOTTOM,
    }


def usage_bars(stats: dict) -> list[dict]:
    """One horizontal bar per share of viewing time.

    Captions come first, one bar per language, then descriptions.
    """
    rows = [(f"Captions: {lang}", share)
            for lang, share in stats["captions"]["by_language"].items()]
    rows.append(("Descriptions", stats["descriptions"]["share"]))
    bar_left, bar_width = 160, 400
    return [
        {"label": label, "share": share, "y": 8 + n * 32,
         "x": bar_left, "width": round(bar_width * share, 2), "track": bar_width}
        for n, (label, share) in enumerate(rows)
    ]

