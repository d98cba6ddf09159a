"""Every page and document template says what it is given (its context contract, at the top
of the file), and what it reads is what it says: checked against the templates' source, and
at run time on a render."""

from __future__ import annotations

import jinja2
import pytest

from stocktake.reports import contracts
from stocktake.reports.render import environment as document_environment
from stocktake.web.app import templates
from stocktake.web.public import environment as public_environment

BASES = {"base.html", "document.html", "public_base.html"}


def _pages(env: jinja2.Environment, public: bool | None = None) -> list[str]:
    names = [n for n in env.list_templates(extensions=["html"])
             if not n.startswith("_") and n not in BASES]
    if public is not None:
        names = [n for n in names if n.startswith("public_") == public]
    return sorted(names)


ENVIRONMENTS = {
    "web": (templates().env, False),
    "public": (public_environment(), True),
    "documents": (document_environment(), None),
}


@pytest.mark.slow
@pytest.mark.parametrize("which", list(ENVIRONMENTS))
def test_every_template_reads_what_its_contract_says(which):
    env, public = ENVIRONMENTS[which]
    pages = _pages(env, public)
    assert len(pages) >= 3
    problems = [p for name in pages for p in contracts.static_problems(env, name)]
    assert problems == []


def _env(tmp_path, files: dict[str, str]) -> jinja2.Environment:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(tmp_path),
                             undefined=jinja2.StrictUndefined)
    env.template_class = contracts.CheckedTemplate
    return env


PAGE = ("{#- context\n  title  the heading\n  rows?  the rows, when there are any\n-#}\n"
        "{% extends 'base.html' %}{% block body %}{{ title }}"
        "{% if rows is defined %}{% for r in rows %}{{ r }}{% endfor %}{% endif %}{% endblock %}")
BASE = "<h1>{% block body %}{% endblock %}</h1>"


def test_the_static_check_sees_a_name_read_but_not_declared_and_one_declared_but_unread(
        tmp_path):
    env = _env(tmp_path, {"base.html": BASE, "page.html": PAGE,
                          "drifted.html": PAGE.replace("{{ title }}", "{{ heading }}")})
    assert contracts.static_problems(env, "page.html") == []
    assert contracts.static_problems(env, "drifted.html") == [
        "drifted.html: reads 'heading', not in its contract",
        "drifted.html: its contract lists 'title', which it never reads"]


def test_a_render_is_checked_against_the_contract(tmp_path):
    env = _env(tmp_path, {"base.html": BASE, "page.html": PAGE})
    page = env.get_template("page.html")
    assert page.render(title="T") == "<h1>T</h1>"  # rows is optional
    assert page.render(title="T", rows=[1, 2]) == "<h1>T12</h1>"
    with pytest.raises(contracts.ContractError, match="missing title"):
        page.render(rows=[])
    with pytest.raises(contracts.ContractError, match="not in the contract: colour"):
        page.render(title="T", colour="red")


def test_a_document_contract_is_about_the_keys_of_its_one_context(tmp_path):
    doc = ("{#- context\n  c.title  the title\n  c.note?  a note\n-#}\n"
           "{{ c.title }}{{ c.note if c.note is defined else '' }}")
    env = _env(tmp_path, {"doc.html": doc})
    assert contracts.static_problems(env, "doc.html") == []
    assert env.get_template("doc.html").render(c={"title": "T"}) == "T"
    with pytest.raises(contracts.ContractError, match="not in the contract: c.extra"):
        env.get_template("doc.html").render(c={"title": "T", "extra": 1})
