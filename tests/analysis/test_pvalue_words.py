"""A p-value in a reading note (analysis.spc.PValue): ``:.2g`` in English as ever, and in
French in the French number format with a power of ten for an exponent (issue #18)."""

from stocktake.analysis.spc import PValue, describe_reading
from stocktake.analysis.wording import Sentence
from stocktake.reports.said import language

FR = language("fr")
NB = "\u00a0"


def test_a_p_value_is_written_with_two_figures_in_each_language():
    cases = [(3.4e-07, "3.4e-07", f"3,4{NB}×{NB}10⁻⁷"), (0.034, "0.034", "0,034"),
             (1e-12, "1e-12", f"1{NB}×{NB}10⁻¹²"), (0.5, "0.5", "0,5"),
             (0.00012, "0.00012", "0,00012"), (2.2e-16, "2.2e-16", f"2,2{NB}×{NB}10⁻¹⁶")]
    for value, english, french in cases:
        said = Sentence("p = %(p)s", p=PValue(value))
        assert (str(said), said.said(FR)) == (f"p = {english}", f"p = {french}")


def test_a_seasonal_reading_note_says_its_p_value_in_french():
    note = describe_reading({"seasonal_adjustment": {"applied": True, "detected": True,
                                                     "p_value": 3.4e-07}})
    assert "(F test of period-of-year effects, p = 3.4e-07)" in note
    assert f"p = 3,4{NB}×{NB}10⁻⁷)" in note.said(FR)
