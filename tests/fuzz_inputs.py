"""A seeded mutation fuzzer of the care inputs: bad files made from examples/, run through the CLI and the upload page.

Each file is one of the example files with one or two of the 21 mutations below (ragged rows, cut files, NUL
bytes, UTF-16, a 1 MB cell, stray quotes, formula prefixes, 1e309/NaN, binary junk, duplicated headers,
blank lines, bit flips, extra fields, a corrupt XLSX deflate stream, …). Every file is checked the way
``buurtdekking validate KIND FILE`` checks it (``cli.main.main`` in this process, the boundaries read once)
and the way the upload page checks it (``dashboard.uploads.check``). Counted as failures: an exception other
than the CLI's exit 0/1 (a traceback), an exception out of the upload check (HTTP 500), and an upload report
that says the file "could not be checked" instead of naming its problems.

    .venv/bin/python tests/fuzz_inputs.py --files 2500 --seed 14            # counts per site and mutation
    .venv/bin/python tests/fuzz_inputs.py --files 200 --subprocess 20      # also 20 real CLI processes
    .venv/bin/python tests/fuzz_inputs.py --files 2500 --keep /tmp/fuzz     # keep the failing files

The mutations are pure (``mutate(data, kind, rng)``), so tests import them too.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import random
import re
import subprocess
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = {
    "teams.csv": "teams",
    "providers.csv": "providers",
    "caseloads_wide.csv": "caseloads",
    "caseloads_long.tsv": "caseloads",
    "caseloads_referrals.csv": "caseloads",
}
SPECIAL_NUMBERS = (
    "1e309",
    "-1e309",
    "1e+309",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "123456789012345678901234567890",
    "1e-400",
    "0x1F",
    "1_000",
    "9" * 400,
    "1,5e3",
    "−3",
    "٣",
)


# ---------------------------------------------------------------- text helpers


def _delimiter(text: str) -> str:
    head = text.splitlines()[0] if text else ""
    return max((";", ",", "\t"), key=head.count)


def _split(data: bytes) -> tuple[list[list[str]], str]:
    text = data.decode("utf-8")
    delim = _delimiter(text)
    return [line.split(delim) for line in text.splitlines()], delim


def _join(rows: list[list[str]], delim: str, newline: str = "\n") -> bytes:
    return (newline.join(delim.join(r) for r in rows) + newline).encode("utf-8")


def _cell(rows: list[list[str]], rng: random.Random) -> tuple[int, int]:
    r = rng.randrange(1, len(rows)) if len(rows) > 1 else 0
    return r, rng.randrange(len(rows[r])) if rows[r] else 0


# ---------------------------------------------------------------- the 21 mutations (bytes → bytes)


def ragged_long(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    for _ in range(rng.randint(1, 3)):
        r, _c = _cell(rows, rng)
        rows[r] = [*rows[r], *(["extra"] * rng.randint(1, 3))]
    return _join(rows, d)


def ragged_short(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    for _ in range(rng.randint(1, 3)):
        r, _c = _cell(rows, rng)
        rows[r] = rows[r][: rng.randrange(1, max(2, len(rows[r])))]
    return _join(rows, d)


def cut(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def cut_in_quote(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    r, c = _cell(rows, rng)
    rows[r][c] = '"' + rows[r][c]
    text = _join(rows, d)
    start = text.index(b'"')
    return text[: rng.randrange(start + 1, len(text))]


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        out.insert(rng.randrange(len(out)), 0)
    return bytes(out)


def utf16(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8")
    if rng.random() < 0.7:  # Dutch Excel's "Unicode-tekst": UTF-16 LE with BOM, tab-separated, CRLF
        text = text.replace(_delimiter(text), "\t").replace("\n", "\r\n")
    return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be"]))


def huge_cell(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    r, c = _cell(rows, rng)
    rows[r][c] = rng.choice("AB9") * rng.choice([600, 5_000, 1_000_000])
    return _join(rows, d)


def stray_quote(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    for _ in range(rng.randint(1, 2)):
        r, c = _cell(rows, rng)
        value = rows[r][c]
        at = rng.randrange(len(value) + 1)
        rows[r][c] = value[:at] + '"' + value[at:]
    return _join(rows, d)


def formula_prefix(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    r, c = _cell(rows, rng)
    rows[r][c] = rng.choice(["=", "+", "-", "@"]) + rng.choice([rows[r][c], "1+1", "SUM(A1:A9)", "cmd|' /C calc'!A0"])
    return _join(rows, d)


def special_numbers(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    for _ in range(rng.randint(1, 4)):
        r, c = _cell(rows, rng)
        rows[r][c] = rng.choice(SPECIAL_NUMBERS)
    return _join(rows, d)


def binary_junk(data: bytes, rng: random.Random) -> bytes:
    junk = rng.randbytes(rng.randint(1, 200))
    where = rng.choice(["start", "end", "middle"])
    if where == "start":
        return junk + data
    if where == "end":
        return data + junk
    at = rng.randrange(len(data))
    return data[:at] + junk + data[at:]


def duplicate_header(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    header = rows[0]
    if rng.random() < 0.5 and len(header) > 1:  # two columns with one name
        a, b = rng.sample(range(len(header)), 2)
        header[b] = header[a].upper() if rng.random() < 0.5 else header[a]
    else:  # the header row repeated inside the data
        rows.insert(rng.randrange(1, len(rows) + 1), list(header))
    return _join(rows, d)


def blank_lines(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    for _ in range(rng.randint(1, 4)):
        width = len(rows[0])
        rows.insert(rng.randrange(0, len(rows) + 1), rng.choice([[""], [" "], [""] * width, ["\t"]]))
    return _join(rows, d)


def bit_flips(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def trailing_field(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    start = 0 if rng.random() < 0.3 else 1  # Excel: `a;b;` on every data row, sometimes on the header too
    return _join([[*r, ""] if i >= start else r for i, r in enumerate(rows)], d)


def leading_field(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    every = rng.random() < 0.5
    return _join(
        [
            [rng.choice(["", "1", "x"]), *r] if i > 0 and (every or rng.random() < 0.5) else r
            for i, r in enumerate(rows)
        ],
        d,
    )


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_corrupt_deflate(data: bytes, rng: random.Random) -> bytes:
    rows, _ = _split(data)
    book = bytearray(_xlsx(rows))
    with zipfile.ZipFile(io.BytesIO(bytes(book))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    # The compressed data starts after the local header (30 bytes + name + extra); damage it, keep the CRC.
    name_len = int.from_bytes(book[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(book[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    for _ in range(rng.randint(1, 8)):
        book[start + rng.randrange(max(1, info.compress_size))] ^= 0xFF
    return bytes(book)


def xlsx_mixed_types(data: bytes, rng: random.Random) -> bytes:
    rows, _ = _split(data)
    typed: list[list[Any]] = []
    for i, row in enumerate(rows):
        out: list[Any] = []
        for v in row:
            if i == 0 or rng.random() < 0.5:
                out.append(v)
                continue
            choice = rng.random()
            if re.fullmatch(r"-?\d+", v):
                out.append(int(v))
            elif re.fullmatch(r"-?\d+,\d+", v):
                out.append(float(v.replace(",", ".")))
            elif choice < 0.2:
                out.append(None)
            elif choice < 0.35:
                out.append(rng.choice([True, False]))
            elif choice < 0.5:
                out.append(rng.choice([1e308, -0.0, 2**62, 3.5, 1e-300]))
            else:
                out.append(v)
        typed.append(out)
    return _xlsx(typed)


def mixed_delimiters(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    other = rng.choice([x for x in (";", ",", "\t", "|") if x != d])
    text = "\n".join((other if rng.random() < 0.4 else d).join(r) for r in rows) + "\n"
    return text.encode("utf-8")


def invalid_utf8(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    r, c = _cell(rows, rng)
    marker = "\u0001MARK\u0001"
    rows[r][c] = rows[r][c] + marker
    raw = _join(rows, d)
    # \xe9 is é in cp1252 (readable); \x81 and \x8d are undefined in cp1252 and invalid UTF-8 (not readable).
    return raw.replace(marker.encode(), rng.choice([b"\xe9", b"caf\xe9", b"\x81\x8d", b"\xc3", b"\xff\xfe"]))


def line_endings(data: bytes, rng: random.Random) -> bytes:
    rows, d = _split(data)
    style = rng.choice(["\r", "\r\n", "mixed", "none", "cell"])
    if style == "mixed":
        return "".join(d.join(r) + rng.choice(["\n", "\r\n", "\r"]) for r in rows).encode()
    if style == "none":
        return _join(rows, d).rstrip(b"\n")
    if style == "cell":  # a line break inside a quoted cell
        r, c = _cell(rows, rng)
        rows[r][c] = f'"{rows[r][c]}\nnog een regel"'
        return _join(rows, d)
    return _join(rows, d, style)


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    f.__name__: f
    for f in (
        ragged_long,
        ragged_short,
        cut,
        cut_in_quote,
        nul_bytes,
        utf16,
        huge_cell,
        stray_quote,
        formula_prefix,
        special_numbers,
        binary_junk,
        duplicate_header,
        blank_lines,
        bit_flips,
        trailing_field,
        leading_field,
        xlsx_corrupt_deflate,
        xlsx_mixed_types,
        mixed_delimiters,
        invalid_utf8,
        line_endings,
    )
}
XLSX_MUTATIONS = {"xlsx_corrupt_deflate", "xlsx_mixed_types"}


@dataclass(frozen=True)
class Fuzzed:
    name: str  # file name, with the suffix the content needs
    kind: str
    mutations: tuple[str, ...]
    data: bytes


def generate(n: int, *, seed: int) -> list[Fuzzed]:
    """``n`` mutated example files, the same for the same seed: each mutation in turn, a second one on a third."""
    rng = random.Random(seed)
    bases = {name: (REPO / "examples" / name).read_bytes() for name in EXAMPLES}
    names = list(MUTATIONS)
    out = []
    for i in range(n):
        base = rng.choice(list(bases))
        chosen = [names[i % len(names)]]
        if rng.random() < 0.33:
            second = rng.choice([m for m in names if m not in XLSX_MUTATIONS])
            chosen = [second, chosen[0]] if chosen[0] in XLSX_MUTATIONS else [*chosen, second]
        data = bases[base]
        for m in chosen:
            try:
                data = MUTATIONS[m](data, rng)
            except Exception:  # an earlier mutation made the text unsplittable (or unfit for openpyxl): keep it as is
                break
        suffix = ".xlsx" if any(m in XLSX_MUTATIONS for m in chosen) else Path(base).suffix
        out.append(Fuzzed(f"{i:05d}-{'+'.join(chosen)}{suffix}", EXAMPLES[base], tuple(chosen), data))
    return out


# ---------------------------------------------------------------- running the checks


def _site(exc: BaseException) -> str:
    """Where an exception was raised in our code: file:function (the innermost frame under the repo)."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(str(REPO)) and "/.venv/" not in f.filename
    ]
    where = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__} in {Path(where.filename).relative_to(REPO) if where.filename.startswith(str(REPO)) else where.filename}:{where.name}"


def cli_outcome(path: Path, kind: str) -> tuple[str, set[tuple[str, int | None]]]:
    """'exit 0' / 'exit 1' / 'crash: …' and the (code, row) of every problem printed, as `validate` would."""
    from cli.main import main
    from etl.rules import check as check_module

    out, err = io.StringIO(), io.StringIO()
    captured: dict[str, Any] = {}
    real = check_module.check_file

    def spy(*args: Any, **kwargs: Any) -> Any:
        captured["report"] = report = real(*args, **kwargs)
        return report

    check_module.check_file = spy  # type: ignore[assignment]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", kind, str(path)])
    except SystemExit as exc:
        return f"exit {exc.code}", set()
    except Exception as exc:
        return f"crash: {_site(exc)}", set()
    finally:
        check_module.check_file = real  # type: ignore[assignment]
    report = captured.get("report")
    problems = {(p.code, p.row) for p in report.problems} if report is not None else set()
    return (f"exit {code}" if code in (0, 1) else f"crash: exit {code}"), problems


def upload_outcome(view: Any, f: Fuzzed) -> tuple[str, set[tuple[str, int | None]]]:
    """'ok' / 'problems' / 'unchecked: …' (the generic "could not be checked") / 'crash: …' (an HTTP 500)."""
    from dashboard.uploads import check

    try:
        report = check(view, f.data, name=f.name, kind=f.kind)
    except Exception as exc:
        return f"crash: {_site(exc)}", set()
    generic = [
        p
        for p in report.problems
        if p.code == "UPLOAD_INVALID" or (p.code == "FILE_NOT_TABLE" and re.search(r"\(\w+(Error|Exception)\)", p.en))
    ]
    if generic:
        return f"unchecked: {generic[0].en}", set()
    return ("ok" if report.ok else "problems"), {(p.code, p.row) for p in report.problems}


def _view() -> Any:
    from etl.rules import check as check_module

    reference, info = check_module.load_reference()
    cached = (reference, info)
    check_module.load_reference = lambda **_: cached  # type: ignore[assignment]
    return SimpleNamespace(buurten=reference.buurten, wijken=reference.wijken)


def run(files: list[Fuzzed], *, keep: Path | None = None, subprocess_sample: int = 0) -> dict[str, Any]:
    view = _view()
    cli: collections.Counter[str] = collections.Counter()
    upload: collections.Counter[str] = collections.Counter()
    by_mutation: collections.Counter[str] = collections.Counter()
    accepted: collections.Counter[str] = collections.Counter()
    differ: collections.Counter[str] = collections.Counter()
    failing: list[tuple[Fuzzed, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            path = Path(tmp) / f.name
            path.write_bytes(f.data)
            c, cli_problems = cli_outcome(path, f.kind)
            u, upload_problems = upload_outcome(view, f)
            cli[c] += 1
            upload[u] += 1
            if c == "exit 0":
                accepted["+".join(f.mutations)] += 1
            upload_only = {p for p in upload_problems if p[0].startswith("UPLOAD_")}
            if c.startswith("exit") and u in ("ok", "problems") and not upload_only and cli_problems != upload_problems:
                differ[
                    f"cli {sorted(cli_problems - upload_problems)[:2]} / upload {sorted(upload_problems - cli_problems)[:2]}"
                ] += 1
            if c.startswith("crash") or not u.startswith(("ok", "problems")):
                failing.append((f, c, u))
                for m in f.mutations:
                    by_mutation[m] += 1
            path.unlink()
        sampled: collections.Counter[str] = collections.Counter()
        for f in random.Random(0).sample(files, min(subprocess_sample, len(files))):
            path = Path(tmp) / f.name
            path.write_bytes(f.data)
            proc = subprocess.run(
                [str(REPO / ".venv" / "bin" / "buurtdekking"), "validate", f.kind, str(path)],
                capture_output=True,
                text=True,
                check=False,
                cwd=tmp,
            )
            traced = "Traceback (most recent call last)" in proc.stderr
            sampled[f"exit {proc.returncode}{' + traceback' if traced else ''}"] += 1
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        for f, c, u in failing:
            (keep / f"{f.kind}-{f.name}").write_bytes(f.data)
            (keep / f"{f.kind}-{f.name}.txt").write_text(f"cli: {c}\nupload: {u}\n")
    return {
        "files": len(files),
        "cli": cli,
        "upload": upload,
        "failing_by_mutation": by_mutation,
        "failing": failing,
        "subprocess": sampled,
        "accepted": accepted,
        "differ": differ,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", type=Path, help="write the failing files (and what happened) here")
    parser.add_argument("--subprocess", type=int, default=0, help="also run this many files through the real CLI")
    args = parser.parse_args(argv)
    result = run(generate(args.files, seed=args.seed), keep=args.keep, subprocess_sample=args.subprocess)
    crashes_cli = sum(n for k, n in result["cli"].items() if k.startswith("crash"))
    unchecked = sum(n for k, n in result["upload"].items() if k.startswith("unchecked"))
    crashes_upload = sum(n for k, n in result["upload"].items() if k.startswith("crash"))
    print(f"{result['files']} files (seed {args.seed}, {len(MUTATIONS)} kinds of mutation)")
    print(f"CLI validate: {crashes_cli} crashes")
    for k, n in sorted(result["cli"].items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {k}")
    print(f"upload page: {crashes_upload} crashes (HTTP 500), {unchecked} 'could not be checked'")
    for k, n in sorted(result["upload"].items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {k}")
    if result["failing_by_mutation"]:
        print("failing files per mutation:")
        for k, n in sorted(result["failing_by_mutation"].items(), key=lambda kv: -kv[1]):
            print(f"  {n:6d}  {k}")
    print("accepted by the CLI (exit 0), per mutation:")
    for k, n in sorted(result["accepted"].items(), key=lambda kv: -kv[1]):
        print(f"  {n:6d}  {k}")
    print(f"CLI and upload page disagree (upload-only checks aside): {sum(result['differ'].values())}")
    for k, n in sorted(result["differ"].items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {n:6d}  {k}")
    if result["subprocess"]:
        print("real CLI processes:")
        for k, n in sorted(result["subprocess"].items()):
            print(f"  {n:6d}  {k}")
    return 1 if crashes_cli or crashes_upload or unchecked else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
