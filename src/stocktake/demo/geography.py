"""The demo federation's reporting units: Canada, its 13 provinces and territories, and regions.

Province and territory populations are the Statistics Canada 2021 census counts. Regions
are real health regions, zones or areas (Ontario's 14 former LHINs, Quebec's health
regions, Alberta's AHS zones, BC's health authorities...); their weights are approximate
populations in thousands, scaled so that regions sum exactly to their province's count.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .french import LEVEL_NAMES_FR, unit_name_fr

NATION_CODE = "CA"
NATION_NAME = "Canada"
CANADA_2021 = 36_991_981

# (code, name, 2021 census population), in Statistics Canada's standard order.
PROVINCES: list[tuple[str, str, int]] = [
    ("NL", "Newfoundland and Labrador", 510_550),
    ("PE", "Prince Edward Island", 154_331),
    ("NS", "Nova Scotia", 969_383),
    ("NB", "New Brunswick", 775_610),
    ("QC", "Quebec", 8_501_833),
    ("ON", "Ontario", 14_223_942),
    ("MB", "Manitoba", 1_342_153),
    ("SK", "Saskatchewan", 1_132_505),
    ("AB", "Alberta", 4_262_635),
    ("BC", "British Columbia", 5_000_879),
    ("YT", "Yukon", 40_232),
    ("NT", "Northwest Territories", 41_070),
    ("NU", "Nunavut", 36_858),
]

# Regions per province: (code suffix, name, approximate population weight).
REGIONS: dict[str, list[tuple[str, str, float]]] = {
    "NL": [
        ("EAS", "Eastern Health", 317),
        ("CEN", "Central Health", 91),
        ("WES", "Western Health", 76),
        ("LAB", "Labrador-Grenfell Health", 36),
    ],
    "PE": [
        ("QUE", "Queens County", 88),
        ("PRI", "Prince County", 47),
        ("KIN", "Kings County", 19),
    ],
    "NS": [
        ("CEN", "Central Zone", 460),
        ("EAS", "Eastern Zone", 162),
        ("NOR", "Northern Zone", 151),
        ("WES", "Western Zone", 196),
    ],
    "NB": [
        ("MON", "Moncton area (Zone 1)", 221),
        ("SJO", "Saint John area (Zone 2)", 179),
        ("FRE", "Fredericton area (Zone 3)", 181),
        ("NOR", "Northern New Brunswick (Zones 4-7)", 195),
    ],
    "QC": [
        ("MTL", "Montréal", 2004),
        ("MTG", "Montérégie", 1607),
        ("CAP", "Capitale-Nationale", 761),
        ("LAV", "Laval", 438),
        ("LAU", "Laurentides", 637),
        ("LAN", "Lanaudière", 527),
        ("OUT", "Outaouais", 404),
        ("EST", "Estrie", 498),
        ("CHA", "Chaudière-Appalaches", 437),
        ("MAU", "Mauricie et Centre-du-Québec", 537),
        ("EAS", "Eastern Quebec (Saguenay to the Gaspé and Côte-Nord)", 658),
        ("NOR", "Abitibi-Témiscamingue and Nord-du-Québec", 193),
    ],
    "ON": [
        ("ESC", "Erie St. Clair", 650),
        ("SWE", "South West", 1000),
        ("WAT", "Waterloo Wellington", 800),
        ("HAM", "Hamilton Niagara Haldimand Brant", 1450),
        ("CWE", "Central West", 950),
        ("MIS", "Mississauga Halton", 1270),
        ("TOR", "Toronto Central", 1230),
        ("CEN", "Central", 1850),
        ("CEA", "Central East", 1600),
        ("SEA", "South East", 500),
        ("CHA", "Champlain", 1350),
        ("NSM", "North Simcoe Muskoka", 480),
        ("NEA", "North East", 560),
        ("NWE", "North West", 230),
    ],
    "MB": [
        ("WPG", "Winnipeg", 790),
        ("SOU", "Southern Health-Santé Sud", 210),
        ("INT", "Interlake-Eastern", 132),
        ("PRA", "Prairie Mountain Health", 172),
        ("NOR", "Northern Health Region", 77),
    ],
    "SK": [
        ("SAS", "Saskatoon area", 340),
        ("REG", "Regina area", 290),
        ("SOU", "Southern Saskatchewan", 190),
        ("CEN", "Central Saskatchewan", 160),
        ("NOR", "Northern Saskatchewan", 150),
    ],
    "AB": [
        ("CAL", "Calgary Zone", 1690),
        ("EDM", "Edmonton Zone", 1400),
        ("CEN", "Central Zone", 480),
        ("SOU", "South Zone", 310),
        ("NOR", "North Zone", 475),
    ],
    "BC": [
        ("FRA", "Fraser Health", 1950),
        ("VCH", "Vancouver Coastal Health", 1240),
        ("VIS", "Island Health", 880),
        ("INT", "Interior Health", 810),
        ("NOR", "Northern Health", 290),
    ],
    "YT": [
        ("WHI", "Whitehorse", 28_201),
        ("RUR", "Rural Yukon", 12_031),
    ],
    "NT": [
        ("YKN", "Yellowknife", 20_340),
        ("OUT", "Communities outside Yellowknife", 20_730),
    ],
    "NU": [
        ("QIK", "Qikiqtaaluk", 19_355),
        ("KIV", "Kivalliq", 10_950),
        ("KIT", "Kitikmeot", 6_553),
    ],
}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    province: str
    population: int  # 2021, scaled to sum to the province's census count


def split_exactly(total: int, weights: list[float]) -> list[int]:
    """Integer shares of ``total`` proportional to ``weights`` that sum exactly to it.

    Largest-remainder rounding, ties broken by position, so the split is deterministic.
    """
    if total < 0 or not weights or any(w <= 0 for w in weights):
        raise ValueError(f"cannot split {total} by weights {weights}: need positive weights")
    scale = sum(weights)
    raw = [total * w / scale for w in weights]
    out = [int(x) for x in raw]
    short = total - sum(out)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:short]:
        out[i] += 1
    return out


def regions() -> list[Region]:
    """Every region, province by province, in a stable order."""
    out: list[Region] = []
    for prov, _name, pop in PROVINCES:
        spec = REGIONS[prov]
        for (suffix, name, _w), share in zip(
            spec, split_exactly(pop, [w for _, _, w in spec]), strict=True
        ):
            out.append(Region(f"{prov}-{suffix}", name, prov, share))
    return out


def units_csv() -> str:
    """units.csv: the nation, the provinces and territories, and their regions."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "level", "parent", "population", "name_fr", "level_fr"])
    w.writerow([NATION_CODE, NATION_NAME, "nation", "", CANADA_2021,
                unit_name_fr(NATION_CODE, NATION_NAME), LEVEL_NAMES_FR["nation"]])
    for code, name, pop in PROVINCES:
        w.writerow([code, name, "province", NATION_CODE, pop, unit_name_fr(code, name),
                    LEVEL_NAMES_FR["province"]])
    for r in regions():
        w.writerow([r.code, r.name, "region", r.province, r.population,
                    unit_name_fr(r.code, r.name), LEVEL_NAMES_FR["region"]])
    return buf.getvalue()
