"""YAML that cannot expand past its size: a loader refusing alias bombs.

An alias (``*name``) repeats the value its anchor (``&name``) marks. PyYAML builds that
value once and shares it, so nine lines of aliases of aliases ("billion laughs") load in a
millisecond, but anything that then walks the value (a check, a message quoting it, a copy)
walks it a billion times. ``BoundedLoader`` counts, while composing, how many values every
alias stands for (each anchored value measured once) and refuses a document whose aliases
add more than ``ALIAS_LIMIT`` values, or an alias inside the value it names (a value
containing itself). Anchors used for ordinary reuse (defaults merged with ``<<``) are far
below the limit; the refusal comes before anything is built.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, SequenceNode

ALIAS_LIMIT = 100_000  # values that aliases may add to a document


class AliasExpansion(yaml.MarkedYAMLError):
    """Aliases that expand too far, or that name a value containing them."""


class NestedTooDeep(yaml.MarkedYAMLError):
    """Lists or mappings nested so deep that PyYAML, which recurses, runs out of stack."""


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses alias bombs and values containing themselves."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._added = 0  # values the aliases seen so far stand for
        self._sizes: dict[int, int] = {}  # id of a finished node -> values in it, expanded
        self._open: list[str] = []  # anchors of the collections being composed

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise AliasExpansion(problem=f"the alias *{event.anchor} is inside the "
                                     "value it names (a value containing itself)",
                                     problem_mark=event.start_mark)
            node = super().compose_node(parent, index)
            self._added += self._size(node)
            if self._added > ALIAS_LIMIT:
                raise AliasExpansion(problem=(
                    f"aliases (*name) repeat more than {ALIAS_LIMIT:,} values: an alias "
                    "bomb? Write the values out, or repeat fewer"),
                    problem_mark=event.start_mark)
            return node
        anchor = event.anchor if isinstance(event, CollectionStartEvent) else None
        if anchor is None:
            return super().compose_node(parent, index)
        self._open.append(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()

    def _size(self, root: Node) -> int:
        """Values in ``root`` with every alias in it expanded (it and they are finished, so
        each node's size is worked out once and kept). Iterative: nesting may be deep."""
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if id(node) in self._sizes:
                continue
            children = _children(node)
            if children_done or not children:
                self._sizes[id(node)] = 1 + sum(self._sizes[id(c)] for c in children)
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in self._sizes)
        return self._sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` of ``text``, refusing alias bombs (``AliasExpansion``, a
    ``yaml.YAMLError`` with the line of the alias) and nesting too deep to read
    (``NestedTooDeep``, a ``yaml.YAMLError`` too, where PyYAML raises RecursionError)."""
    try:
        return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise NestedTooDeep(problem="nested too deeply (lists or mappings inside each other "
                            "hundreds of levels down)") from None
