"""One error model for the whole product (docs/methods is for statistics; this is for people).

Every error a user can cause is a ``StocktakeError`` of one of four kinds, and the shells
map each kind to one answer: the CLI to one exit code, the web to one status (HTML or JSON
by route). A ``ValueError`` (or any other exception) is a programming error: the CLI shows
it as an internal error and the web as a 500 page with a request id, never as "not found".

- ``NotFound``: the thing named does not exist (an unknown priority, unit, batch, plan).
- ``Invalid``: the input is wrong; ``problems`` lists every problem found, each saying
  where (a file and line, a field path, a parameter) and what.
- ``Conflict``: the input is right but the state forbids it (a batch already approved,
  a version that moved on, an account that exists).
- ``Forbidden``: the principal may not do this.

The words of a problem are English, as the CLI and the JSON API show them. A message that a
person also meets on a web page in another language is a ``text.Text``: the same English
string, which also keeps its English message (marked ``N_`` for the web's catalogue) and its
values, so that the web can say it again in the page's language (web.i18n.say), numbers
included.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .text import N_, Text

__all__ = ["N_", "Text"]  # re-exported: the errors' words are text.Text, marked N_


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: ``where`` it is (``units.csv:4``, ``interventions[2].
    owner``, ``as_of``; empty when the whole input is meant) and ``message``, what is wrong
    and, where we can tell, how to put it right."""

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


# A field path at the head of a problem's text: ``interventions[2].owner: required``.
_PATH = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.DOTALL)


class TextProblem(str, Problem):
    """Transitional: a ``Problem`` that is also its own text, for errors whose callers still
    read ``problems`` as strings (the web's delivery forms, the trajectory tests). A leading
    field path becomes ``where``. Goes once those callers read ``where`` and ``message``."""

    def __new__(cls, text: str) -> TextProblem:
        self = super().__new__(cls, text)
        m = _PATH.match(text)
        object.__setattr__(self, "where", m.group(1) if m else "")
        object.__setattr__(self, "message", m.group(2) if m else text)
        return self

    def __init__(self, text: str) -> None:  # all done in __new__; str takes no __init__
        pass

    @classmethod
    def at(cls, where: str, message: str) -> TextProblem:
        """``where: message`` with ``message`` kept as given (a ``Text``, for a page to say
        again in its language): the same text as ``TextProblem(f"{where}: {message}")``."""
        self = str.__new__(cls, f"{where}: {message}" if where else message)
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "message", message)
        return self


class StocktakeError(Exception):
    """An error the user can put right. ``problems`` holds every problem found at once."""

    exit_code = 1
    http_status = 400

    def __init__(self, problems: str | Problem | Sequence[str | Problem], *,
                 source: str | None = None):
        if isinstance(problems, str | Problem):
            problems = [problems]
        # A Text stays one (str() would make a plain copy of it).
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(p if isinstance(p, str) else str(p))
            for p in problems]
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{where}{self.problems[0]}"
        return f"{where}{len(self.problems)} problems:\n" + "\n".join(
            f"  - {p}" for p in self.problems)

    @property
    def messages(self) -> list[str]:
        """Each problem as one line of text, for lists on pages and in JSON."""
        return [str(p) for p in self.problems]


class NotFound(StocktakeError):
    """The thing named does not exist."""

    exit_code = 3
    http_status = 404


class Invalid(StocktakeError):
    """The input is wrong; every problem is listed with where it is."""

    exit_code = 2
    http_status = 422


class Conflict(StocktakeError):
    """The input is right, but the present state does not allow it."""

    exit_code = 4
    http_status = 409


class Forbidden(StocktakeError):
    """The principal may not do this."""

    exit_code = 5
    http_status = 403


def did_you_mean(word: str, choices: Iterable[object], *, cutoff: float = 0.6) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``choices`` to ``word``, or ``""``.
    The one wording of the hint across the product. A choice differing only in case comes
    first: codes such as ``p1`` for ``P1`` are too short for difflib to match."""
    texts = [str(c) for c in choices]
    close = ([c for c in texts if c.lower() == str(word).lower()]
             or difflib.get_close_matches(str(word), texts, n=1, cutoff=cutoff))
    return hint(close[0]) if close else ""


def hint(choice: str) -> Text:
    """`` (did you mean 'X'?)`` for one choice."""
    return Text(N_(" (did you mean '%(choice)s'?)"), choice=choice)


# The kinds of thing not_found names, for the catalogue: a page says them in its language.
KINDS = (N_("audit action"), N_("commitment"), N_("department"), N_("indicator"),
         N_("minister"), N_("priority"), N_("reporting unit"))


def not_found(kind: str, word: str, choices: Iterable[object]) -> NotFound:
    """``no priority 'LITT' (did you mean 'LIT'?)``: the usual NotFound, built one way."""
    return NotFound(Text(N_("no %(kind)s '%(word)s'%(hint)s"), kind=Text(kind), word=word,
                         hint=did_you_mean(word, choices)))
