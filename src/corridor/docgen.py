"""The parts of docs/ that are copies of the code, written from the code.

Each generated part sits between two markers in its Markdown file::

    <!-- generated: NAME (python -m corridor.docgen; edit the code, not this) -->
    …
    <!-- end generated: NAME -->

``python -m corridor.docgen`` rewrites every part; ``--check`` only says which are stale and exits 1.
tests/test_docs.py runs the check, so a change to the code that the docs copy fails the suite until
the docs are regenerated. The prose around each part stays hand-written.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _begin(name: str) -> str:
    return f"<!-- generated: {name} (python -m corridor.docgen; edit the code, not this) -->"


def _end(name: str) -> str:
    return f"<!-- end generated: {name} -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def event_catalogue() -> str:
    from corridor.ledger.catalogue import EVENT_TYPES

    return _table(("type", "what it records"), [(f"`{code}`", meaning) for code, meaning in EVENT_TYPES.items()])


def correction_handlers() -> str:
    """The entry types whose corrections change state rows, with the handler that changes them."""
    from corridor.ledger import consequences

    rows = []
    for code in sorted(consequences.handled()):
        handler = consequences.handler(code)
        assert handler is not None  # every handled type has one
        said = (handler.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        dates = ", ".join(f"`{key}`" for key in consequences.correctable_dates(code)) or "-"
        rows.append((f"`{code}`", f"`{handler.__module__}.{handler.__name__}`", said, dates))
    return _table(("corrected entry", "handler", "what it does", "dates its page corrects"), rows)


def sources() -> str:
    from corridor.ledger.catalogue import SOURCE_MEANINGS

    return _table(("source", "meaning"), [(f"`{code}`", meaning) for code, meaning in SOURCE_MEANINGS.items()])


def certainty() -> str:
    from corridor.ledger.catalogue import CERTAINTY_MEANINGS

    return _table(("certainty", "meaning"), [(f"`{code}`", meaning) for code, meaning in CERTAINTY_MEANINGS.items()])


def subject_keys() -> str:
    """The payload keys a correction may not change, by the kind of subject they name."""
    from corridor.ledger.catalogue import SUBJECT_KEYS

    rows = [(f"`{kind}:…`", ", ".join(f"`{key}`" for key in keys)) for kind, keys in SUBJECT_KEYS.items()]
    return _table(("the entry is about", "payload keys it cannot correct"), rows)


def roles() -> str:
    from corridor.accounts.roles import ROLE_DESCRIPTIONS, Role

    return _table(("role", "may"), [(f"`{role.value}`", ROLE_DESCRIPTIONS[role]) for role in Role])


def capabilities() -> str:
    from corridor.accounts.roles import CAPABILITY_MEANINGS, ROLE_CAPABILITIES, Can, Role

    roles = list(Role)
    rows = [
        (f"`{can.value}`", CAPABILITY_MEANINGS[can], *("✓" if can in ROLE_CAPABILITIES[role] else "" for role in roles))
        for can in Can
    ]
    return _table(("capability", "what it allows", *(f"`{role.value}`" for role in roles)), rows)


def indicator_catalogue() -> str:
    from corridor.reports import catalogue

    parts: list[str] = []
    by_section: dict[str, list[catalogue.Indicator]] = {}
    for indicator in catalogue.indicators():
        by_section.setdefault(indicator.section, []).append(indicator)
    for section in catalogue.sections():
        if section.code not in by_section:
            continue
        parts.append(f"### {section.title}")
        for indicator in by_section[section.code]:
            parts.append(f"#### `{indicator.code}` — {indicator.title}")
            parts.append(indicator.definition)
            parts.append(
                f"- formula: {indicator.formula}\n- unit: {indicator.unit}\n"
                f"- breakdowns: {', '.join(indicator.breakdowns) or 'none'}\n- source: {indicator.source}"
            )
    return "\n\n".join(parts)


def obstruction_kinds() -> str:
    from corridor.reports.obstruction import KINDS

    rows = [
        (
            f"`{kind.code}`",
            ", ".join(f"`{e}`" for e in kind.events),
            kind.attack_type or "as recorded",
            kind.resource or "as recorded",
            kind.rule,
        )
        for kind in KINDS.values()
    ]
    return _table(("kind", "events", "SSA type", "SSA resource", "rule"), rows)


def cli_reference() -> str:
    """Every command's ``--help``, sub-commands included, as a reader at a terminal would see it."""
    import click

    from corridor.cli import cli

    parts: list[str] = []

    def walk(command: click.Command, path: str, parent: click.Context | None) -> None:
        # No help option in the listing: click caches each command's help option with the names of the
        # first context that asked, so listing it would depend on what ran before in the process.
        # Every command takes -h and --help (docs/cli.md says so above).
        with click.Context(
            command, info_name=path.split(" ")[-1], parent=parent, terminal_width=100, help_option_names=[]
        ) as ctx:
            ctx.max_content_width = 100
            parts.append(f"#### `{path}`\n\n```\n{command.get_help(ctx).rstrip()}\n```")
            if isinstance(command, click.Group):
                for name in command.list_commands(ctx):
                    sub = command.get_command(ctx, name)
                    if sub is not None and not sub.hidden:
                        walk(sub, f"{path} {name}", ctx)

    walk(cli, "corridor", None)
    return "\n\n".join(parts)


def vocabulary_lists() -> str:
    """Every code list with its words in English, Persian and Arabic (the gettext labels)."""
    from corridor import vocabulary

    sections = []
    for name in vocabulary.CODE_LISTS:
        rows = [(f"`{code}`", *vocabulary.labels(name, code)) for code in vocabulary.codes(name)]
        sections.append(f"### `{name}`\n\n" + _table(("code", "English", "Persian", "Arabic"), rows))
    for name in vocabulary.CODE_ONLY:
        sections.append(f"### `{name}`\n\n" + ", ".join(f"`{code}`" for code in vocabulary.codes(name)))
    return "\n\n".join(sections)


# (file, part) -> what writes it
PARTS: dict[tuple[str, str], Callable[[], str]] = {
    ("docs/ledger.md", "sources"): sources,
    ("docs/ledger.md", "certainty"): certainty,
    ("docs/ledger.md", "event catalogue"): event_catalogue,
    ("docs/ledger.md", "correction handlers"): correction_handlers,
    ("docs/ledger.md", "subject keys"): subject_keys,
    ("docs/roles.md", "roles"): roles,
    ("docs/roles.md", "capabilities"): capabilities,
    ("docs/indicators.md", "obstruction kinds"): obstruction_kinds,
    ("docs/indicators.md", "indicator catalogue"): indicator_catalogue,
    ("docs/cli.md", "command reference"): cli_reference,
    ("docs/vocabulary.md", "code lists"): vocabulary_lists,
}


def regenerate(text: str, name: str, body: str) -> str:
    """``text`` with the part ``name`` replaced by ``body``; the markers must be there once each."""
    pattern = re.compile(re.escape(_begin(name)) + r"\n.*?\n" + re.escape(_end(name)), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise LookupError(f"the markers of the generated part {name!r} are missing or repeated")
    return pattern.sub(lambda _: f"{_begin(name)}\n{body}\n{_end(name)}", text)


def stale(root: Path = ROOT) -> list[str]:
    """The generated parts that differ from what the code says now, as ``file: part``."""
    found = []
    for (file, name), make in PARTS.items():
        text = (root / file).read_text(encoding="utf-8")
        if regenerate(text, name, make()) != text:
            found.append(f"{file}: {name}")
    return found


def write(root: Path = ROOT) -> list[str]:
    changed = stale(root)
    for (file, name), make in PARTS.items():
        path = root / file
        text = path.read_text(encoding="utf-8")
        path.write_text(regenerate(text, name, make()), encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corridor.docgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say which parts are stale; exit 1 if any")
    args = parser.parse_args(argv)
    from corridor.cli import setup_django

    setup_django()
    if args.check:
        found = stale()
        for part in found:
            print(f"stale: {part}")
        return 1 if found else 0
    for part in write():
        print(f"rewrote: {part}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
