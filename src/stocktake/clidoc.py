"""The CLI reference (docs/cli.md), generated from each command's --help.

Regenerate with ``python -m stocktake.clidoc > docs/cli.md``; a test keeps it in sync.
"""

from __future__ import annotations

import typer

from .cli import app

WIDTH = 100


def _walk(cmd, path: list[str]):
    yield path, cmd
    if hasattr(cmd, "list_commands"):  # a group (typer vendors its own click)
        ctx = typer.Context(cmd, info_name=path[-1])
        for name in cmd.list_commands(ctx):
            yield from _walk(cmd.get_command(ctx, name), [*path, name])


def render() -> str:
    root = typer.main.get_command(app)
    out = ["# CLI reference", "",
           "Generated from `stocktake --help` by `python -m stocktake.clidoc > docs/cli.md`;",
           "a test fails when this file and the commands disagree.", ""]
    for path, cmd in _walk(root, ["stocktake"]):
        ctx = typer.Context(cmd, info_name=" ".join(path), terminal_width=WIDTH,
                            max_content_width=WIDTH)
        out += [f"## `{' '.join(path)}`", "", "```text", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
