"""The funnel plot's SVG, drawn from hand-made comparisons whose limits are worked out here."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from stocktake.reports.charts import BLUE, ORANGE, funnel_chart

SVG = "{http://www.w3.org/2000/svg}"
Z95, Z998 = 1.959964, 3.090232


def unit(code, name, n, value, out95="inside", out998="inside"):
    return {"unit": code, "name": name, "denominator": n, "value": value,
            "outside_95": out95, "outside_99.8": out998}


def comparison(units, *, phi=1.0, applied=False, overall=30.0):
    """A proportion in percent (scale 100) around an overall 30%, as compare_units reports it."""
    return {"kind": "proportion", "scale": 100.0, "overall": overall, "phi": phi,
            "overdispersion_applied": applied, "dispersion_model": "multiplicative",
            "tau2": 0.0, "period": "2024-06", "level": "region",
            "indicator": {"name": "Seen within 18 weeks", "unit_of_measure": "percent",
                          "polarity": "up"},
            "denominator": "referrals",
            "denominator_info": {"name": "Referrals", "unit_of_measure": "people"},
            "units": units}


# By hand, p0 = 0.3: n = 200 -> se = sqrt(0.21 / 200) = 0.032404, upper 99.8% = 40.01;
# n = 400 -> se = 0.022913, lower 95% = 25.51, lower 99.8% = 22.92. So Alpha (45) lies above
# 99.8%, Gamma (24) below 95% but inside 99.8%, Beta and Delta inside.
UNITS = [unit("A", "Alpha", 200, 45.0, "above", "above"), unit("B", "Beta", 1000, 30.0),
         unit("C", "Gamma", 400, 24.0, "below", "inside"), unit("D", "Delta", 1500, 31.0)]


def limit(n: float, z: float, sign: int, phi: float = 1.0) -> float:
    return 100 * (0.3 + sign * z * math.sqrt(phi * 0.21 / n))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def y_scale(root: ET.Element):
    """Pixel -> value from two y-axis tick labels (the numbers written on the axis)."""
    ticks = []
    for t in root.iter(f"{SVG}text"):
        if t.get("text-anchor") == "end" and t.get("x") == "56":
            ticks.append((float(t.get("y")) - 4, float(t.text.replace(",", ""))))
    (p1, v1), (p2, v2) = ticks[0], ticks[-1]
    return lambda py: v1 + (py - p1) * (v2 - v1) / (p2 - p1)


def x_scale(root: ET.Element, units: list[dict], log: bool):
    """Pixel -> denominator from two points drawn at known denominators."""
    dots = {c.get("data-unit"): float(c.get("cx")) for c in root.iter(f"{SVG}circle")
            if c.get("class") == "unit"}
    n = {u["unit"]: u["denominator"] for u in units}
    f = math.log if log else (lambda v: v)
    (a, xa), (b, xb) = [(n[k], dots[k]) for k in ("A", "D")]

    def inverse(px: float) -> float:
        v = f(a) + (px - xa) * (f(b) - f(a)) / (xb - xa)
        return math.exp(v) if log else v
    return inverse


def vertices(path: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, step[1:].split(","))) for step in path.get("d").split()]


def test_funnel_svg_has_points_limits_labels_and_legend():
    root = parse(funnel_chart(comparison(UNITS)))
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    assert "above the 99.8% limit: Alpha" in title and "4 region values in 2024-06" in title
    dots = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "unit"]
    assert [c.get("data-unit") for c in dots] == ["A", "B", "C", "D"]
    # Alpha: better (higher, polarity up) outside 99.8%: filled blue; Gamma: worse, outside
    # 95% only: a ring in orange; Beta: grey.
    style = {c.get("data-unit"): c for c in dots}
    assert style["A"].get("fill") == BLUE
    assert style["C"].get("fill") == "#fff" and style["C"].get("stroke") == ORANGE
    assert style["B"].get("fill") not in (BLUE, ORANGE)
    classes = [p.get("class") for p in root.iter(f"{SVG}path")]
    assert classes.count("limit limit-95") == 2 and classes.count("limit limit-99-8") == 2
    assert len([x for x in root.iter(f"{SVG}line") if x.get("class") == "centre"]) == 1
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "unit-label"]
    assert labels == ["Alpha", "Gamma"]  # only the units outside a limit are named
    words = [t.text for t in root.iter(f"{SVG}text")]
    for text in ("95% limits", "99.8% limits", "Overall 30.0", "Unit within the limits",
                 "Better, outside 99.8%", "Worse, outside 95%", "percent", "Referrals (people)"):
        assert text in words, text


def test_limit_lines_are_drawn_where_the_formula_puts_them():
    root = parse(funnel_chart(comparison(UNITS)))
    to_value, to_n = y_scale(root), x_scale(root, UNITS, log=False)
    paths = [p for p in root.iter(f"{SVG}path") if (p.get("class") or "").startswith("limit")]
    expected = [(Z998, -1), (Z998, 1), (Z95, -1), (Z95, 1)]  # drawing order: 99.8 then 95
    checked = 0
    for path, (z, sign) in zip(paths, expected, strict=True):
        for px, py in vertices(path)[::10]:
            n = to_n(px)
            want = min(max(limit(n, z, sign), 0.0), 100.0)
            assert to_value(py) == pytest.approx(want, abs=0.05), (z, sign, n)
            checked += 1
    assert checked >= 40
    centre = next(x for x in root.iter(f"{SVG}line") if x.get("class") == "centre")
    assert to_value(float(centre.get("y1"))) == pytest.approx(30.0, abs=0.05)
    # Each point where its value says: Alpha at 45 above the 99.8% line at n = 200.
    alpha = next(c for c in root.iter(f"{SVG}circle") if c.get("data-unit") == "A")
    assert to_value(float(alpha.get("cy"))) == pytest.approx(45.0, abs=0.05)
    assert to_n(float(alpha.get("cx"))) == pytest.approx(200, rel=1e-3)


def test_overdispersion_widens_the_drawn_limits_and_wide_sizes_go_on_a_log_axis():
    units = [unit("A", "Alpha", 100, 45.0), unit("B", "Beta", 1000, 30.0),
             unit("C", "Gamma", 10000, 24.0, "below", "below"), unit("D", "Delta", 50000, 31.0)]
    root = parse(funnel_chart(comparison(units, phi=4.0, applied=True)))
    to_value, to_n = y_scale(root), x_scale(root, units, log=True)
    frame = root.find(f"{SVG}clipPath/{SVG}rect")
    top, bottom = float(frame.get("y")), float(frame.get("y")) + float(frame.get("height"))
    upper = [p for p in root.iter(f"{SVG}path") if p.get("class") == "limit limit-99-8"][1]
    checked = 0
    for px, py in vertices(upper)[::5]:
        if top <= py <= bottom:  # beyond the frame the line is clipped away
            # Multiplicative over-dispersion: sqrt(phi) = 2 times the spread.
            assert to_value(py) == pytest.approx(limit(to_n(px), Z998, 1, phi=4.0), abs=0.1)
            checked += 1
    assert checked >= 10
    x_label = [t.text for t in root.iter(f"{SVG}text") if "log scale" in (t.text or "")]
    assert x_label == ["Referrals (people), log scale"]
    assert "below the 99.8% limit: Gamma" in root.find(f"{SVG}title").text


@pytest.mark.parametrize("units, message", [
    ([], "no units"),
    ([unit("A", "Alpha", 0, 10.0), unit("B", "Beta", 10, 10.0)], "denominator 0"),
    ([{"unit": "A", "denominator": 5}], "has no 'value'"),
])
def test_bad_comparisons_are_refused(units, message):
    with pytest.raises(ValueError, match=message):
        funnel_chart(comparison(units))


def test_every_unit_outside_the_95_limits_is_named_and_no_two_names_overlap():
    """Five outliers, three of them at nearly the same place (where one label would sit on
    another): each is named once, in ink (its white halo is a separate copy beneath it, as
    PDF renderers ignore paint-order), and the names' boxes do not overlap."""
    from PIL import ImageFont

    from tests.reports.test_chart_axes import FONT

    units = [unit("A", "Alpha", 200, 45.0, "above", "above"),
             unit("B", "Beta", 1000, 30.0),
             unit("C", "Gamma", 400, 24.0, "below", "inside"),
             unit("E", "Epsilon", 410, 24.2, "below", "inside"),
             unit("F", "Phi", 420, 23.9, "below", "inside"),
             unit("G", "Eta", 1500, 35.5, "above", "above"),
             unit("D", "Delta", 1500, 31.0)]
    root = parse(funnel_chart(comparison(units)))
    texts = list(root.iter(f"{SVG}text"))
    named = [t for t in texts if t.get("class") == "unit-label"]
    outside = {u["name"] for u in units if u["outside_95"] != "inside"}
    assert sorted(t.text for t in named) == sorted(outside)
    assert all(t.get("paint-order") is None and t.get("stroke") is None for t in named)
    halos = [t.text for t in texts if t.get("class") == "halo"]
    assert sorted(halos) == sorted(outside)
    if not FONT.exists():
        return
    font = ImageFont.truetype(str(FONT), size=100)
    boxes = [(float(t.get("x")), float(t.get("x")) + font.getlength(t.text) * 0.12,
              float(t.get("y")) - 10, float(t.get("y")) + 3, t.text) for t in named]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]
            assert apart, f"{a[4]} and {b[4]} overlap"
