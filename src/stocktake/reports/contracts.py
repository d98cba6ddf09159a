"""Each template says what it is given, and the tests hold it to that.

A page or document template opens with its *context contract*, a Jinja comment listing every
name its caller passes (and, for the documents, every key of their one context ``c``)::

    {#- context
      overview       the portfolio: one row per priority
      words?         shown only after a form was sent (the ? marks a name that may be absent)
    -#}

Two checks keep the contract true (tests/test_template_contracts.py):

- *statically*, every name a template reads (with what it extends and includes, less the
  names it sets itself and the environment's globals) is in its contract, and every name
  in the contract is read;
- *at run time*, when ``STOCKTAKE_CHECK_TEMPLATES`` is set (the tests set it), every render
  is checked against the contract: a required name missing or a name not in the contract is
  an error, so a page handler and its template cannot drift apart unseen.

Partial templates (a leading ``_``) and the bases (``base.html``, ``document.html``,
``public_base.html``) are read as part of the templates that use them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from jinja2 import nodes

CHECK_ENV = "STOCKTAKE_CHECK_TEMPLATES"
DOCUMENT_CONTEXT = "c"  # the documents (pack, note, report) get one name: their context
_HEADER = re.compile(r"\A\s*\{#-?\s*context\b(?P<body>.*?)-?#\}", re.S)
_ENTRY = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_.]*)(?P<optional>\??)(?:\s+(?P<doc>.*))?$")


class ContractError(Exception):
    """A template rendered with a context its contract does not describe (a bug, so a
    plain exception: the tests turn it into a failure, a user never sees it)."""


@dataclasses.dataclass(frozen=True)
class Contract:
    """The names a template is given: name -> required (not marked with ?)."""

    names: Mapping[str, bool]
    docs: Mapping[str, str]

    def required(self) -> set[str]:
        return {n for n, req in self.names.items() if req}


def parse(source: str) -> Contract | None:
    """The contract at the top of a template's source, or None if it has none."""
    found = _HEADER.match(source)
    if found is None:
        return None
    names: dict[str, bool] = {}
    docs: dict[str, str] = {}
    for line in found["body"].splitlines():
        if not line.strip():
            continue
        entry = _ENTRY.match(line)
        if entry is None:
            raise ContractError(f"cannot read the contract line {line.strip()!r}")
        names[entry["name"]] = not entry["optional"]
        docs[entry["name"]] = (entry["doc"] or "").strip()
    return Contract(names, docs)


def given_names(context: Mapping[str, Any]) -> set[str]:
    """The names a render was given: the variables, and the keys (or fields) of ``c``."""
    out = {k for k in context if k != "request"}  # Starlette adds the request to every page
    doc = context.get(DOCUMENT_CONTEXT)
    if doc is not None and not isinstance(doc, str):
        out.discard(DOCUMENT_CONTEXT)
        keys: Iterable[str] = (
            [f.name for f in dataclasses.fields(doc)] if dataclasses.is_dataclass(doc)
            else list(doc) if isinstance(doc, Mapping) else [])
        out |= {f"{DOCUMENT_CONTEXT}.{k}" for k in keys}
    return out


def check(name: str, contract: Contract, context: Mapping[str, Any]) -> None:
    """Raise ContractError when ``context`` is not what the contract of ``name`` says."""
    given = given_names(context)
    missing = sorted(contract.required() - given)
    extra = sorted(given - set(contract.names))
    if missing or extra:
        raise ContractError(
            f"template {name} was rendered with a context its contract does not describe: "
            + "; ".join(part for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"not in the contract: {', '.join(extra)}" if extra else "") if part))


@cache
def _contract_of(filename: str) -> Contract | None:
    return parse(Path(filename).read_text(encoding="utf-8"))


class CheckedTemplate(jinja2.Template):
    """A template that checks each top-level render against its contract."""

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> Any:
        # shared is True for an included template: the includer's context, checked already.
        if not shared and self.filename:
            contract = _contract_of(self.filename)
            if contract is not None:
                check(self.name or self.filename, contract, vars or {})
        return super().new_context(vars, shared, locals)


def enforce(env: jinja2.Environment) -> jinja2.Environment:
    """Check every render of ``env``'s templates against their contracts when
    STOCKTAKE_CHECK_TEMPLATES is set (the tests); otherwise leave ``env`` as it is."""
    if os.environ.get(CHECK_ENV):
        env.template_class = CheckedTemplate
    return env


# -- the static check ------------------------------------------------------------------

def _assigned(tree: nodes.Template) -> set[str]:
    """Names a template sets itself: {% set %}, loop targets, macro arguments, imports."""
    out: set[str] = set()
    for node in tree.find_all((nodes.Assign, nodes.AssignBlock, nodes.For, nodes.With)):
        targets = ([node.target] if not isinstance(node, nodes.With) else node.targets)
        for target in targets:
            out |= {n.name for n in target.find_all(nodes.Name)} | (
                {target.name} if isinstance(target, nodes.Name) else set())
    for macro in tree.find_all((nodes.Macro, nodes.CallBlock)):
        args = macro.args if isinstance(macro, nodes.Macro) else macro.args
        out |= {a.name for a in args}
        if isinstance(macro, nodes.Macro):
            out.add(macro.name)
    for imp in tree.find_all((nodes.Import, nodes.FromImport)):
        out |= ({imp.target} if isinstance(imp, nodes.Import)
                else {n if isinstance(n, str) else n[-1] for n in imp.names})
    return out


def _document_keys(tree: nodes.Template) -> set[str]:
    """Keys of ``c`` a document template reads: ``c.key`` and ``c["key"]``."""
    out = set()
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == DOCUMENT_CONTEXT:
            out.add(f"{DOCUMENT_CONTEXT}.{node.attr}")
    for node in tree.find_all(nodes.Getitem):
        if (isinstance(node.node, nodes.Name) and node.node.name == DOCUMENT_CONTEXT
                and isinstance(node.arg, nodes.Const)):
            out.add(f"{DOCUMENT_CONTEXT}.{node.arg.value}")
    return out


def read_names(env: jinja2.Environment, name: str) -> set[str]:
    """Every name template ``name`` reads from its context, with the templates it extends
    and includes, less those it sets and the environment's globals."""
    seen: set[str] = set()
    reads: set[str] = set()
    assigned: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current.endswith(".css"):
            continue
        seen.add(current)
        source = env.loader.get_source(env, current)[0]  # type: ignore[union-attr]
        tree = env.parse(source)
        own = _assigned(tree)
        reads |= jinja2.meta.find_undeclared_variables(tree)
        if DOCUMENT_CONTEXT not in own:  # else ``c`` is a loop variable of its own
            reads |= _document_keys(tree)
        assigned |= own
        todo += [t for t in jinja2.meta.find_referenced_templates(tree) if t]
    return reads - assigned - set(env.globals) - {"request", DOCUMENT_CONTEXT}


def static_problems(env: jinja2.Environment, name: str) -> list[str]:
    """What is wrong with template ``name``'s contract, read against its source."""
    source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
    contract = parse(source)
    if contract is None:
        return [f"{name}: no context contract at the top"]
    reads = read_names(env, name)
    declared = set(contract.names)
    problems = [f"{name}: reads '{n}', not in its contract" for n in sorted(reads - declared)]
    problems += [f"{name}: its contract lists '{n}', which it never reads"
                 for n in sorted(declared - reads)]
    return problems
