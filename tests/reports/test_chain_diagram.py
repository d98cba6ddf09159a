"""The delivery chain diagram: valid SVG with every actor and link, boxes that do not
overlap, text that fits its box by the stated character-width estimate, and links that
run between boxes rather than through them. Geometry is read back from the SVG text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from stocktake.delivery.chains import analyse_chain, parse_chain
from stocktake.model.entities import DeliveryModel, Unit
from stocktake.reports.chain_diagram import chain_svg, wrap

NS = {"s": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"  # element tag prefix
EM = 0.6  # the character width the diagram promises to wrap by, as a share of font size
UNITS = ("CA", "ON", "QC", "BC", "AB", "TOR", "OTT", "MTL", "VAN", "CAL")
MODEL = DeliveryModel(units={u: Unit(u, u, "x") for u in UNITS})


def _actor(code, name, level, *units):
    return {"code": code, "name": name, "level": level, "units": list(units)}


def _link(source, target, kind, strength):
    out = {"from": source, "to": target, "type": kind, "strength": strength}
    if strength in ("weak", "broken"):
        out["evidence"] = "found at the last review"
    return out


DEMO = {  # 1 federal, 4 provincial, 5 municipal, 4 frontline, 1 external
    "actors": [
        _actor("fed_edu", "Federal Department of Education", "federal", "CA"),
        _actor("on_edu", "Ontario Ministry of Education", "provincial", "ON"),
        _actor("qc_edu", "Québec Ministère de l'Éducation", "provincial", "QC"),
        _actor("bc_edu", "British Columbia Ministry of Education", "provincial", "BC"),
        _actor("ab_edu", "Alberta Education", "provincial", "AB"),
        _actor("tor_board", "Toronto District School Board", "municipal", "TOR"),
        _actor("ott_board", "Ottawa-Carleton District School Board", "municipal", "OTT"),
        _actor("mtl_css", "Centre de services scolaire de Montréal", "municipal", "MTL"),
        _actor("van_board", "Vancouver School Board", "municipal", "VAN"),
        _actor("cal_board", "Calgary Board of Education", "municipal", "CAL"),
        _actor("on_schools", "Ontario elementary schools", "frontline"),
        _actor("qc_schools", "Québec primary schools", "frontline"),
        _actor("bc_schools", "BC primary schools", "frontline"),
        _actor("ab_schools", "Alberta elementary schools", "frontline"),
        _actor("literacy_ngo", "National literacy charity (tutoring)", "external"),
    ],
    "links": [
        _link("fed_edu", "on_edu", "funding", "strong"),
        _link("fed_edu", "on_edu", "guidance", "adequate"),
        _link("fed_edu", "qc_edu", "funding", "weak"),
        _link("fed_edu", "bc_edu", "funding", "adequate"),
        _link("fed_edu", "ab_edu", "funding", "strong"),
        _link("on_edu", "tor_board", "funding", "strong"),
        _link("on_edu", "ott_board", "guidance", "adequate"),
        _link("qc_edu", "mtl_css", "guidance", "adequate"),
        _link("bc_edu", "van_board", "funding", "adequate"),
        _link("bc_edu", "bc_schools", "legislation", "strong"),  # skips the municipal row
        _link("ab_edu", "cal_board", "data", "broken"),
        _link("tor_board", "on_schools", "service", "strong"),
        _link("ott_board", "on_schools", "service", "adequate"),
        _link("mtl_css", "qc_schools", "service", "adequate"),
        _link("van_board", "bc_schools", "service", "weak"),
        _link("cal_board", "ab_schools", "service", "adequate"),
        _link("fed_edu", "literacy_ngo", "funding", "adequate"),  # crosses every band
        _link("literacy_ngo", "on_schools", "service", "adequate"),  # runs upwards
        _link("literacy_ngo", "qc_schools", "service", "weak"),
    ],
}
QUALITY = {"CA": 92, "ON": 88, "QC": 81, "BC": 90, "AB": 70, "TOR": 85, "OTT": 79,
           "MTL": 62, "VAN": 91, "CAL": 55}


@pytest.fixture(scope="module")
def demo():
    chain = parse_chain(DEMO, MODEL)
    analysis = analyse_chain(chain, quality=QUALITY)
    return chain, analysis, ET.fromstring(chain_svg(chain, analysis))


def _rect(el) -> tuple[float, float, float, float]:
    x, y = float(el.get("x")), float(el.get("y"))
    return x, y, x + float(el.get("width")), y + float(el.get("height"))


def _actor_boxes(root) -> dict[str, tuple[float, float, float, float]]:
    return {g.get("data-code"): _rect(g.find("s:rect", NS))
            for g in root.iter(SVG + "g") if g.get("class") == "actor"}


def _groups(root, cls):
    return [g for g in root.iter(SVG + "g") if g.get("class") == cls]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _text_box(t) -> tuple[float, float, float, float]:
    """The box a text line takes by the fixed estimate (baseline y, cap height ~ size)."""
    size = float(t.get("font-size"))
    w = len(t.text) * EM * size
    x = float(t.get("x"))
    left = x - w / 2 if t.get("text-anchor") == "middle" else x
    y = float(t.get("y"))
    return left, y - size * 0.8, left + w, y + size * 0.25


def _inside(inner, outer) -> bool:
    return (inner[0] >= outer[0] and inner[2] <= outer[2] and inner[1] >= outer[1]
            and inner[3] <= outer[3])


def _path_points(d: str, steps: int = 30) -> list[tuple[float, float]]:
    """Points along an SVG path made of M, L and C commands (cubic Beziers sampled)."""
    tokens = re.findall(r"[MLC]|-?\d+(?:\.\d+)?", d)
    points: list[tuple[float, float]] = []
    i, cmd = 0, None
    while i < len(tokens):
        if tokens[i] in "MLC":
            cmd, i = tokens[i], i + 1
        nums = [float(v) for v in tokens[i:i + (6 if cmd == "C" else 2)]]
        i += len(nums)
        if cmd in "ML":
            points.append((nums[0], nums[1]))
        else:
            (x0, y0), (x1, y1, x2, y2, x3, y3) = points[-1], nums
            for k in range(1, steps + 1):
                t = k / steps
                u = 1 - t
                points.append((u ** 3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t ** 3 * x3,
                               u ** 3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y3))
    return points


def test_valid_svg_with_title_desc_and_view_box(demo):
    chain, analysis, root = demo
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    w, h = [float(v) for v in root.get("viewBox").split()[2:]]
    assert w == 900 and h > 600
    assert root.find("s:title", NS).text == "Delivery chain: 15 actors and 19 links"
    desc = root.find("s:desc", NS).text
    assert "1 broken" in desc and "Alberta Education -> Calgary Board of Education" in desc
    assert "<script" not in ET.tostring(root, encoding="unicode")


def test_every_actor_is_drawn_with_every_word_of_its_name(demo):
    chain, _, root = demo
    groups = {g.get("data-code"): g for g in _groups(root, "actor")}
    assert list(groups) == [a.code for a in chain.actors]
    for a in chain.actors:
        words = " ".join(t.text for t in groups[a.code].findall("s:text", NS)).split()
        for word in a.name.split():
            assert word in words, (a.code, word)


def test_one_arrow_per_link_and_a_label_for_each(demo):
    chain, _, root = demo
    paths = [p for p in root.iter(SVG + "path") if p.get("class") == "link"]
    drawn = sorted((p.get("data-from"), p.get("data-to"), p.get("data-type"),
                    p.get("data-strength")) for p in paths)
    assert drawn == sorted((k.source, k.target, k.type, k.strength) for k in chain.links)
    assert all(p.get("marker-end", "").startswith("url(#") for p in paths)
    labels = {int(t.get("data-link")): t.text for g in _groups(root, "link-label")
              for t in g.findall("s:text", NS)}
    assert labels == {j: f"{k.type} \u00b7 {k.strength}" for j, k in enumerate(chain.links)}
    for strength in ("strong", "adequate", "weak", "broken"):
        assert any(text.endswith(strength) for text in labels.values())
    # The two links from the federal department to Ontario share one label, a line each.
    shared = [g for g in _groups(root, "link-label") if g.get("data-links") == "0 1"]
    assert len(shared) == 1 and len(shared[0].findall("s:text", NS)) == 2


def test_line_styles_encode_strength(demo):
    _, _, root = demo
    style = {p.get("data-strength"): p for p in root.iter(SVG + "path")
             if p.get("class") == "link"}
    assert float(style["strong"].get("stroke-width")) > float(style["adequate"].get(
        "stroke-width"))
    assert style["strong"].get("stroke-dasharray") is None
    assert style["adequate"].get("stroke-dasharray") is None
    assert style["weak"].get("stroke-dasharray") and style["broken"].get("stroke-dasharray")
    assert style["weak"].get("stroke-dasharray") != style["broken"].get("stroke-dasharray")
    assert len({p.get("stroke") for p in style.values()}) == 4


def test_boxes_do_not_overlap_and_stay_in_the_drawing(demo):
    _, _, root = demo
    boxes = list(_actor_boxes(root).values())
    width = float(root.get("viewBox").split()[2])
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= width
        for b in boxes[i + 1:]:
            assert not _overlap(a, b)


def test_text_fits_its_box_by_the_width_estimate(demo):
    _, _, root = demo
    for g in _groups(root, "actor") + _groups(root, "link-label"):
        box = _rect(g.find("s:rect", NS))
        for t in g.findall("s:text", NS):
            assert _inside(_text_box(t), box), (g.get("data-code"), t.text)


def test_labels_overlap_no_box_and_no_other_label(demo):
    _, _, root = demo
    boxes = list(_actor_boxes(root).values())
    labels = [_rect(g.find("s:rect", NS)) for g in _groups(root, "link-label")]
    for i, a in enumerate(labels):
        assert not any(_overlap(a, b) for b in boxes)
        assert not any(_overlap(a, b) for b in labels[i + 1:])


def test_links_run_between_boxes_never_through_them(demo):
    _, _, root = demo
    boxes = _actor_boxes(root)
    for p in root.iter(SVG + "path"):
        if p.get("class") != "link":
            continue
        points = _path_points(p.get("d"))
        source, target = boxes[p.get("data-from")], boxes[p.get("data-to")]
        # Starts on the source's top or bottom edge; ends just short of the target (the
        # arrowhead covers the rest).
        assert source[0] < points[0][0] < source[2]
        assert points[0][1] in (pytest.approx(source[1], abs=0.1),
                                pytest.approx(source[3], abs=0.1))
        end = points[-1]
        assert target[0] < end[0] < target[2]
        assert min(abs(end[1] - target[1]), abs(end[1] - target[3])) <= 6
        for code, box in boxes.items():
            shrunk = (box[0] + 1, box[1] + 1, box[2] - 1, box[3] - 1)
            assert not any(shrunk[0] < x < shrunk[2] and shrunk[1] < y < shrunk[3]
                           for x, y in points), (p.get("data-from"), p.get("data-to"), code)


def test_bands_run_from_the_centre_down_to_the_frontline_then_external(demo):
    chain, _, root = demo
    bands = {r.get("data-level"): _rect(r) for r in root.iter(SVG + "rect")
             if r.get("class") == "band"}
    assert list(bands) == ["federal", "provincial", "municipal", "frontline", "external"]
    tops = [b[1] for b in bands.values()]
    assert tops == sorted(tops)
    labels = [t.text for t in root.iter(SVG + "text") if t.get("class") == "band-label"]
    assert labels == ["Federal", "Provincial", "Municipal", "Frontline", "External"]
    boxes = _actor_boxes(root)
    for a in chain.actors:
        band, box = bands[a.level], boxes[a.code]
        assert band[1] <= box[1] and box[3] <= band[3], a.code


def test_flags_are_marked_with_text(demo):
    chain, analysis, root = demo
    notes = {(g.get("data-code"), t.get("data-flag")) for g in _groups(root, "actor")
             for t in g.findall("s:text", NS) if t.get("data-flag")}
    assert {c for c, f in notes if f == "spof"} == {
        s["actor"] for s in analysis["single_points_of_failure"]} == {
        "bc_edu", "ab_edu", "cal_board"}
    assert {c for c, f in notes if f == "quality"} == {"ab_edu", "mtl_css", "cal_board"}
    assert {c for c, f in notes if f == "route"} == {"qc_schools", "ab_schools"}
    # Without an analysis given, it is worked out without quality scores.
    plain = ET.fromstring(chain_svg(chain))
    flags = {t.get("data-flag") for t in plain.iter(SVG + "text") if t.get("data-flag")}
    assert flags == {"spof", "route"}
    legend = " ".join(t.text for t in root.iter(SVG + "text"))
    for words in ("Strong", "Adequate", "Weak (dashed)", "Broken (dotted)", "Centre controls",
                  "Centre influences", "Single point of failure", "Poor data quality"):
        assert words in legend


def test_rows_are_ordered_to_avoid_crossings():
    # In document order the municipalities would cross their parents' links.
    doc = {"actors": [_actor("fed", "Centre", "federal"),
                      _actor("p1", "Province One", "provincial"),
                      _actor("p2", "Province Two", "provincial"),
                      _actor("m_of_p2", "Town of Two", "municipal"),
                      _actor("m_of_p1", "Town of One", "municipal")],
           "links": [_link("fed", "p1", "funding", "strong"),
                     _link("fed", "p2", "funding", "strong"),
                     _link("p1", "m_of_p1", "service", "adequate"),
                     _link("p2", "m_of_p2", "service", "adequate")]}
    boxes = _actor_boxes(ET.fromstring(chain_svg(parse_chain(doc, MODEL))))
    assert (boxes["p1"][0] < boxes["p2"][0]) == (boxes["m_of_p1"][0] < boxes["m_of_p2"][0])


def test_actors_linked_within_a_level_get_rows_of_their_own_and_wide_rows_wrap():
    actors = [_actor("minister", "Minister of Health", "federal"),
              _actor("dept", "Department of Health and Social Care", "federal")]
    links = [_link("minister", "dept", "legislation", "strong")]
    for i in range(12):
        actors.append(_actor(f"m{i}", f"Municipal public health unit {i}", "municipal"))
        links.append(_link("dept", f"m{i}", "funding", "adequate"))
    chain = parse_chain({"actors": actors, "links": links}, MODEL)
    svg = chain_svg(chain, width=600)
    root = ET.fromstring(svg)
    boxes = _actor_boxes(root)
    assert boxes["minister"][3] < boxes["dept"][1]  # the minister above the department
    width = float(root.get("viewBox").split()[2])
    assert width == 600
    assert all(b[0] >= 0 and b[2] <= width for b in boxes.values())
    assert len({b[1] for code, b in boxes.items() if code.startswith("m")}) >= 3
    values = list(boxes.values())
    assert not any(_overlap(a, b) for i, a in enumerate(values) for b in values[i + 1:])
    for g in _groups(root, "actor"):
        for t in g.findall("s:text", NS):
            assert _inside(_text_box(t), _rect(g.find("s:rect", NS)))
    assert svg == chain_svg(chain, width=600)  # the same drawing every time


def test_wrap_keeps_lines_within_the_estimate():
    lines = wrap("Centre de services scolaire de Montréal", 100, 12)  # 13 characters a line
    assert lines == ["Centre de", "services", "scolaire de", "Montréal"]
    assert wrap("Supercalifragilisticexpialidocious board", 60, 10) == [
        "Supercali-", "fragilist-", "icexpiali-", "docious", "board"]
    assert wrap("", 60, 10) == [""]


@pytest.mark.parametrize("width", [300, 900.5, True])
def test_bad_width(width):
    chain = parse_chain(DEMO, MODEL)
    with pytest.raises(ValueError, match="width"):
        chain_svg(chain, width=width)
