"""Record what stocktake says, to show a refactoring changed nothing a user sees.

    python scripts/record_outputs.py --prepare BASE      # once: build the worlds into BASE
    python scripts/record_outputs.py OUT --base BASE     # record every output into OUT
    diff -r BASE/outputs OUT                             # what changed

It runs the stocktake found first on the path (``PYTHONPATH=src`` from a checkout), on
copies of two prepared worlds: the demo federation and the US crime example. Recorded:
every read command of the CLI (tables and ``--json``, stdout, stderr and exit code) with
real and wrong arguments (the error messages are outputs too), every page and API answer
the web gives a signed-in admin (found by following links from the portfolio and the API
index, GET only), the packs, note, report and public site as HTML. Volatile parts (CSRF
tokens, generation times, temporary paths) are replaced by placeholders so that two runs
of the same code give the same files.

``--prepare`` builds the worlds with the code on the path and signs an admin in; run it
with the *old* code, then record with the old code into BASE/outputs and with the new code
elsewhere, and compare.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlparse

REPO = Path(__file__).resolve().parents[1]
VOLATILE = [
    (re.compile(r'(name="csrf[a-z_]*" value=")[^"]+'), r"\1CSRF"),
    (re.compile(r'(<meta name="csrf-token" content=")[^"]+'), r"\1CSRF"),
    (re.compile(r"(/tmp/|/var/tmp/)[^\s\"'<>]+"), "TMPPATH"),
    (re.compile(r"\b(request id:?\s*)[0-9a-f-]{8,}", re.I), r"\1RID"),
    (re.compile(r"(Generated</th><td>)[^<]+"), r"\1GENERATED"),
    (re.compile(r'("generated(_at)?": ")[^"]+'), r"\1GENERATED"),
]


def stocktake(args: list[str], cwd: Path) -> tuple[int, str, str]:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
    if env.get("PYTHONPATH"):  # the commands run elsewhere: keep the code on the path
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve())
                                            for p in env["PYTHONPATH"].split(os.pathsep))
    done = subprocess.run([sys.executable, "-m", "stocktake", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    return done.returncode, done.stdout, done.stderr


def _today() -> list[tuple[re.Pattern[str], str]]:
    # A world without its own clock reads "now" as the real time: today's times vary.
    today = date.today()
    long = f"{today.day} {today:%B %Y}"
    return [(re.compile(rf"{today:%Y-%m-%d}[T ]\d\d:\d\d(:\d\d(\.\d+)?)?"), "TODAY-TIME"),
            (re.compile(rf"{long},\s+\d\d:\d\d UTC"), "TODAY-TIME")]


def scrub(text: str) -> str:
    for pattern, repl in VOLATILE + _today():
        text = pattern.sub(repl, text)
    return text


def prepare(base: Path) -> None:
    base.mkdir(parents=True, exist_ok=True)
    demo, crime = base / "demo.db", base / "crime.db"
    for path in (demo, crime):
        path.unlink(missing_ok=True)
    steps = [
        ["demo", "--no-serve", "--db", f"sqlite:///{demo}"],
        ["load", str(REPO / "examples/us_crime/model"), "--db", f"sqlite:///{crime}"],
        ["submit", str(REPO / "examples/us_crime/data/observations.csv"),
         "--db", f"sqlite:///{crime}"],
    ]
    for step in steps:
        code, out, err = stocktake(step, base)
        if code:
            sys.exit(f"{' '.join(step)} failed:\n{out}\n{err}")
    from stocktake.services.admin import accounts
    from stocktake.store.db import open_engine

    creds = {}
    for name, path in (("demo", demo), ("crime", crime)):
        engine = open_engine(f"sqlite:///{path}")
        if "recorder" not in {u.username for u in accounts.list_users(engine)}:
            accounts.create_user(engine, "recorder", "admin", "correct horse battery")
        creds[name] = accounts.start_session(engine, "recorder").token
    (base / "creds.json").write_text(json.dumps(creds))
    print(f"prepared {base}")


def codes(world: Path, command: str) -> list[dict]:
    code, out, err = stocktake([command, "--json", "--db", f"sqlite:///{world}"], world.parent)
    if code:
        sys.exit(f"{command} --json failed: {err}")
    data = json.loads(out)
    return data["priorities"] if isinstance(data, dict) else data


def cli_commands(world: Path) -> dict[str, list[str]]:
    """Every read command, named by the file its output goes to."""
    db = ["--db", f"sqlite:///{world}"]
    priorities = codes(world, "priorities")
    units = codes(world, "units")
    root = units[0]["code"]
    child = next(u["code"] for u in units if u["parent"] == root)
    leaf = next(u["code"] for u in units if not any(v["parent"] == u["code"] for v in units))
    out: dict[str, list[str]] = {}
    for command in ("units", "indicators", "priorities", "changes", "batches", "quality",
                    "status"):
        out[command] = [command, *db]
        out[f"{command}.json"] = [command, *db, "--json"]
    month = max((p["latest"] or {}).get("period") or "" for p in priorities)[:7] or "2020-01"
    out["note.html"] = ["note", "--month", month, "--out", "OUTDIR/note.html", *db]
    out["note.json"] = ["note", "--month", month, "--out", "OUTDIR/note2.html", *db, "--json"]
    out["report.html"] = ["report", "--out", "OUTDIR/report.html", *db]
    out["report.json"] = ["report", "--out", "OUTDIR/report2.html", *db, "--json"]
    out["status-all-units.json"] = ["status", *db, "--all-units", "--json"]
    out["status-as-of.json"] = ["status", *db, "--as-of", "2024-01-31", "--json"]
    out["status-bad-as-of"] = ["status", *db, "--as-of", "yesterday"]
    out["status-unknown-priority"] = ["status", *db, "--priority", "NOPE"]
    out["status-unknown-unit"] = ["status", *db, "--unit", "NOPE"]
    for p in priorities:
        code, headline = p["code"], p["headline"]
        for suffix, extra in (("", []), (".json", ["--json"])):
            out[f"status-{code}{suffix}"] = ["status", *db, "--priority", code, *extra]
            out[f"trajectory-{code}{suffix}"] = ["trajectory", code, *db, *extra]
            out[f"trajectory-{code}-{child}{suffix}"] = ["trajectory", code, "--unit", child,
                                                        *db, *extra]
            out[f"series-{headline}-{root}{suffix}"] = ["series", headline, "--unit", root,
                                                       *db, *extra]
            out[f"spc-{headline}-{root}{suffix}"] = ["spc", headline, "--unit", root, *db,
                                                    *extra]
            out[f"spc-{headline}-{child}{suffix}"] = ["spc", headline, "--unit", child, *db,
                                                     *extra]
            out[f"spc-rebase-{headline}-{root}{suffix}"] = ["spc-rebase", headline, "--unit",
                                                           root, *db, *extra]
            for verb in ("plan", "chain", "assess", "stocktakes"):
                out[f"{verb}-{code}{suffix}"] = [verb, "show", code, *db, *extra]
        if p.get("latest") and p["latest"].get("period"):
            out[f"compare-{headline}.json"] = ["compare", headline, "--period",
                                              p["latest"]["period"], *db, "--json"]
        out[f"pack-{code}.html"] = ["pack", code, *db, "--out", f"OUTDIR/pack-{code}.html"]
    first = priorities[0]
    out["series-unknown-indicator"] = ["series", "nope", "--unit", root, *db]
    out["series-unknown-unit"] = ["series", first["headline"], "--unit", "NOPE", *db]
    out["spc-leaf.json"] = ["spc", first["headline"], "--unit", leaf, *db, "--json"]
    out["trajectory-unknown"] = ["trajectory", "NOPE", *db]
    out["plan-unknown"] = ["plan", "show", "NOPE", *db]
    out["backtest.json"] = ["backtest", first["headline"], *db, "--json", "--max-series", "2"]
    out["leads.json"] = ["leads", first["headline"], *db, "--json", "--permutations", "99"]
    out["nowcast.json"] = ["nowcast", first["headline"], "--unit", root, *db, "--json"]
    out["actions-list"] = ["actions", "list", *db]
    out["actions-list.json"] = ["actions", "list", *db, "--json"]
    out["user-list"] = ["user", "list", *db]
    out["export.csv"] = ["export", *db, "--out", "OUTDIR/export.csv"]
    out["history-unknown"] = ["history", "nope", root, "2020-01", *db]
    out["publish"] = ["publish", *db, "--out", "OUTDIR/public"]
    out["submit-missing-file"] = ["submit", "no-such-file.csv", *db]
    out["load-missing-dir"] = ["load", "no-such-dir", *db]
    return out


def record_cli(world: Path, out: Path) -> None:
    commands = cli_commands(world)
    out.mkdir(parents=True, exist_ok=True)
    # Documents go beside the world (a temporary folder whose name is always as long), so
    # that messages naming them wrap the same way in every run.
    docs = world.parent / "docs"
    docs.mkdir()

    def run(item: tuple[str, list[str]]) -> None:
        name, args = item
        args = [a.replace("OUTDIR", str(docs)) for a in args]
        code, stdout, stderr = stocktake(args, world.parent)
        text = f"$ stocktake {' '.join(args[:1])} ...\nexit {code}\n--- stdout\n{stdout}" \
               f"--- stderr\n{stderr}"
        (out / f"{name}.txt").write_text(scrub(text.replace(str(docs), "OUTDIR")
                                              .replace(str(world), "WORLD")))

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, commands.items()))
    shutil.copytree(docs, out, dirs_exist_ok=True)
    for path in out.rglob("*.html"):  # the documents themselves
        path.write_text(scrub(path.read_text()))


def record_web(world: Path, token: str, out: Path, limit: int = 400) -> None:
    from fastapi.testclient import TestClient

    from stocktake.store.db import open_engine
    from stocktake.web.app import create_app
    from stocktake.web.auth import SESSION_COOKIE

    out.mkdir(parents=True, exist_ok=True)
    app = create_app(open_engine(f"sqlite:///{world}"))
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set(SESSION_COOKIE, token)
    queue = ["/", "/api/v1/priorities", "/api/docs", "/public/", "/priorities/NOPE",
             "/no-such-page", "/api/v1/no-such-thing"]
    seen: set[str] = set()
    per_path: dict[str, int] = {}
    skip = re.compile(r"^/(static|logout|signout|sign-out)|\.(pdf|xlsx|csv|png)$")
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow_redirects=False)
        body = scrub(response.text)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", url.strip("/")) or "index"
        (out / f"{name}.txt").write_text(
            f"GET {url}\nstatus {response.status_code}\n"
            f"content-type {response.headers.get('content-type')}\n\n{body}")
        for link in re.findall(r'href="([^"#]+)"', response.text):
            target = urlparse(urljoin(url, html.unescape(link)))
            if target.netloc or not target.path.startswith("/") or skip.search(target.path):
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            family = target.path  # a dozen of each page with a query is plenty
            if path not in seen and (not target.query or per_path.get(family, 0) < 12):
                per_path[family] = per_path.get(family, 0) + bool(target.query)
                queue.append(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--base", type=Path, required=False,
                        help="the folder --prepare filled (its worlds and the admin's session)")
    parser.add_argument("--prepare", type=Path, metavar="BASE")
    parser.add_argument("--rescrub", type=Path, metavar="DIR",
                        help="apply the placeholders again to a recorded DIR (after adding one)")
    args = parser.parse_args()
    if args.rescrub:
        for path in args.rescrub.rglob("*"):
            if path.is_file() and path.suffix in (".txt", ".html"):
                path.write_text(scrub(path.read_text()))
        return
    if args.prepare:
        prepare(args.prepare.resolve())
        return
    if args.out is None or args.base is None:
        parser.error("give OUT and --base BASE (or --prepare BASE)")
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    creds = json.loads((args.base / "creds.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("demo", "crime"):
            world = Path(tmp) / name / "world.db"
            world.parent.mkdir()
            shutil.copy(args.base / f"{name}.db", world)
            print(f"{name}: the CLI", flush=True)
            record_cli(world, out / name / "cli")
            shutil.copy(args.base / f"{name}.db", world)  # pages read a fresh copy
            print(f"{name}: the web", flush=True)
            record_web(world, creds[name], out / name / "web")
    print(f"recorded into {out}")


if __name__ == "__main__":
    main()
