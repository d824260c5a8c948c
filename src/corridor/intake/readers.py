"""Read the standard exports of ODK Central and KoBoToolbox into submissions, whatever the file format.

- **CSV**: one table (KoBoToolbox's CSV export, separated by ``;`` or ``,``; ODK Central's root table).
- **ZIP of CSV files**: ODK Central's "all submissions" download: the form's table plus one table per
  repeat group, its rows tied to their submission by ``PARENT_KEY`` → ``KEY``.
- **XLSX**: KoBoToolbox's export: the first sheet holds the submissions and each repeat group has a sheet
  of its own, its rows tied by ``_parent_index`` → ``_index`` (or ``_submission__uuid`` → ``_uuid``).
- **JSON**: KoBoToolbox's API, ``/api/v2/assets/{uid}/data/``: ``{"count": N, "results": [...]}``, repeat
  groups nested as lists.

The readers know nothing about Corridor's forms: they return each submission's cells under the names
the export gave them, and :mod:`corridor.intake.parse` maps them onto a form. Every malformed file is an
:class:`~corridor.errors.InvalidInput` naming the row or sheet, never a traceback. No Django here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from corridor import jsonlimits
from corridor.errors import InvalidInput, Phrase
from corridor.errors import template as _

MAX_BYTES = 20 * 1024 * 1024  # an export of a few thousand submissions is well under a megabyte
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_SUBMISSIONS = 5000
MAX_TABLE_ROWS = 50_000
MAX_COLUMNS = 1000
MAX_CELLS = 2_000_000  # across every table of a file: bounds the memory a hostile file can take

# Where a submission or one of its repeat rows is in a file: phrases with values, translated where they are
# read (corridor.refusals.phrase), never joined into English here.
ROW = _("row %(row)s")
SHEET_ROW = _("sheet %(sheet)s row %(row)s")
TABLE_ROW = _("%(table)s row %(row)s")
SUBMISSION = _("submission %(submission)s")
SHEET = _("sheet %(sheet)s")
REPEAT_ITEM = _("submission %(submission)s, %(group)s %(item)s")
THE_FILE = Phrase.of(_("the file"))

# Columns that tie a repeat group's rows to their submission: (child column, parent column).
LINKS = (("PARENT_KEY", "KEY"), ("_parent_index", "_index"), ("_submission__uuid", "_uuid"))


@dataclass
class Row:
    """One row of a table (or one repeat item of a JSON submission): where it is, and its cells."""

    where: Phrase
    cells: dict[str, Any]


@dataclass
class RawSubmission:
    where: Phrase
    cells: dict[str, Any]
    repeats: dict[str, list[Row]] = field(default_factory=dict)
    original: dict[str, Any] | None = None  # a JSON submission as the API gave it

    def raw(self) -> dict[str, Any]:
        """The submission as read, as JSON-safe values: what goes into the ledger."""
        if self.original is not None:
            return {str(key): jsonable(value) for key, value in self.original.items()}
        data = {key: jsonable(value) for key, value in self.cells.items()}
        for name, rows in self.repeats.items():
            data[name] = [{key: jsonable(value) for key, value in row.cells.items()} for row in rows]
        return data


@dataclass
class Export:
    format: str  # csv, zip, xlsx, json
    description: str
    submissions: list[RawSubmission]
    platform: str | None = None  # odk or kobo, when the layout says which server made it


# Columns only one platform writes into its table of submissions.
ODK_COLUMNS = frozenset({"KEY", "SubmissionDate", "SubmitterID", "ReviewState"})
KOBO_COLUMNS = frozenset({"_uuid", "_submission_time", "_validation_status", "_index"})


def _platform(header: Iterable[str]) -> str | None:
    names = set(header)
    odk, kobo = bool(names & ODK_COLUMNS), bool(names & KOBO_COLUMNS)
    return "odk" if odk and not kobo else "kobo" if kobo and not odk else None


@dataclass
class Table:
    name: str
    where: Phrase  # how a row is named, without its number: "row %(row)s", "sheet %(sheet)s row %(row)s"…
    header: list[str]
    rows: list[Row]


def jsonable(value: Any) -> Any:
    """A cell as JSON: dates and times as ISO text, anything exotic as its text."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


# --------------------------------------------------------------------------------------------- entry


def read_export(data: bytes, filename: str = "") -> Export:
    """Recognise the export's format from its content and read it. Raises InvalidInput, never anything else."""
    if not isinstance(data, bytes | bytearray):
        raise InvalidInput(_("the upload is not a file"), code="intake.not_a_file")
    if not data.strip():
        raise InvalidInput(_("the file is empty"), code="intake.empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _("the file is larger than %(mb)s MB; export fewer submissions at once"),
            code="intake.too_large",
            mb=MAX_BYTES // (1024 * 1024),
        )
    data = bytes(data)
    if data.startswith(b"PK"):
        return _read_zip(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(
            _("this is an old .xls workbook; export XLSX (or save it as .xlsx) and import that"), code="intake.old_xls"
        )
    text = _decode(data)
    if text.lstrip().startswith(("{", "[")):
        return read_json(text)
    return read_csv_text(text, name=filename or THE_FILE)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            _("the file is not UTF-8 text (byte %(byte)s cannot be read); export it again as UTF-8 CSV, XLSX or JSON"),
            code="intake.not_utf8",
            byte=exc.start,
        ) from None
    if "\x00" in text:
        raise InvalidInput(_("the file contains NUL characters: it is not a CSV or JSON export"), code="intake.nul")
    return text


# ------------------------------------------------------------------------------------------------ CSV


def _delimiter(first_line: str) -> str:
    """The separator that splits the header into the most columns (KoBoToolbox uses ';', ODK ',')."""
    best, most = ",", 0
    for candidate in (",", ";", "\t"):
        try:
            count = len(next(csv.reader([first_line], delimiter=candidate), []))
        except csv.Error:
            continue
        if count > most:
            best, most = candidate, count
    return best


def _csv_table(text: str, *, name: str | Phrase, where: Phrase) -> Table:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    try:
        records = _bounded(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), name)
    except csv.Error as exc:
        raise InvalidInput(
            _("%(name)s is not readable CSV: %(detail)s"), code="intake.bad_csv", name=name, detail=str(exc)
        ) from None
    return _table(records, name=name, where=where)


def _bounded(rows: Iterable[Iterable[Any]], name: str | Phrase) -> list[list[Any]]:
    """The rows of a table, refused as soon as they are more than an export of Corridor's forms can be."""
    records: list[list[Any]] = []
    cells = 0
    for row in rows:
        record = list(row)
        if len(record) > MAX_COLUMNS:
            raise _too_many_columns(name)
        cells += len(record)
        if len(records) > MAX_TABLE_ROWS + 2 or cells > MAX_CELLS:
            raise _too_many_rows(name)
        _check_strings(record)  # a workbook can spell NUL or a surrogate as _x0000_
        records.append(record)
    return records


def _too_many_columns(name: str | Phrase) -> InvalidInput:
    return InvalidInput(
        _("%(name)s has more than %(limit)s columns"), code="intake.too_many_columns", name=name, limit=MAX_COLUMNS
    )


def _too_many_rows(name: str | Phrase) -> InvalidInput:
    return InvalidInput(
        _("%(name)s has more than %(limit)s rows; export fewer submissions at once"),
        code="intake.too_many_rows",
        name=name,
        limit=MAX_TABLE_ROWS,
    )


def _is_hashtag_row(cells: Iterable[Any]) -> bool:
    """KoBoToolbox can export the HXL hashtags as a second header row; it holds no submission."""
    texts = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    return bool(texts) and all(t.startswith("#") for t in texts)


def _table(records: list[list[Any]], *, name: str | Phrase, where: Phrase) -> Table:
    """A table from its rows (header first): blank rows and an HXL hashtag row are left out."""
    numbered = [(n, row) for n, row in enumerate(records, start=1) if any(_filled(c) for c in row)]
    if not numbered:
        raise InvalidInput(_("%(name)s has no header row"), code="intake.no_header", name=name)
    if len(numbered) - 1 > MAX_TABLE_ROWS:
        raise _too_many_rows(name)
    header_number, header_cells = numbered[0]
    header = [_header_text(c, i) for i, c in enumerate(header_cells, start=1)]
    while header and header[-1].startswith("(column ") and not _column_used(numbered[1:], len(header) - 1):
        header.pop()  # spreadsheets pad rows with empty cells
    if len(header) > MAX_COLUMNS:
        raise _too_many_columns(name)
    seen: set[str] = set()
    for index, title in enumerate(header):
        if title in seen:
            header[index] = title = f"{title} (column {index + 1})"
        seen.add(title)
    rows: list[Row] = []
    for position, (number, cells) in enumerate(numbered[1:]):
        if position == 0 and _is_hashtag_row(cells):
            continue
        extra = [c for c in cells[len(header) :] if _filled(c)]
        if extra:
            raise InvalidInput(
                _("%(where)s of %(name)s has more cells than the header row (%(header)s)"),
                code="intake.more_cells_than_header",
                where=where.but(row=number),
                name=name,
                header=header_number,
            )
        padded = list(cells[: len(header)]) + [None] * (len(header) - len(cells))
        rows.append(Row(where.but(row=number), dict(zip(header, padded, strict=True))))
    return Table(str(name), where, header, rows)


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _column_used(numbered: list[tuple[int, list[Any]]], index: int) -> bool:
    return any(index < len(cells) and _filled(cells[index]) for _, cells in numbered)


def _header_text(cell: Any, index: int) -> str:
    text = "" if cell is None else " ".join(str(cell).split())
    return text or f"(column {index})"


def read_csv_text(text: str, *, name: str | Phrase = THE_FILE) -> Export:
    table = _csv_table(text, name=name, where=Phrase.of(ROW))
    submissions = [RawSubmission(row.where, row.cells) for row in _at_most(table.rows)]
    return Export("csv", "CSV", submissions, _platform(table.header))


# ------------------------------------------------------------------------------------------------ ZIP


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception as exc:  # a damaged central directory raises whatever zipfile trips over
        raise InvalidInput(
            _("the file looks like a ZIP archive (or XLSX workbook) but cannot be opened: %(detail)s"),
            code="intake.bad_zip",
            detail=str(exc),
        ) from None
    if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES or len(members) > 10_000:
        raise InvalidInput(
            _("the archive unpacks to more than %(mb)s MB; export fewer submissions at once"),
            code="intake.zip_too_large",
            mb=MAX_UNZIPPED_BYTES // (1024 * 1024),
        )
    return archive


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except Exception as exc:  # damaged or exotic compression raises from zlib, bz2, lzma or zipfile itself
        raise InvalidInput(
            _("%(name)s in the archive cannot be read (%(detail)s)"),
            code="intake.bad_zip_member",
            name=name,
            detail=f"{type(exc).__name__}: {exc}",
        ) from None


def _read_zip(data: bytes) -> Export:
    archive = _open_zip(data)
    names = archive.namelist()
    if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
        return read_xlsx(data)
    csv_names = sorted(n for n in names if n.lower().endswith(".csv") and not n.startswith(("__MACOSX/", "media/")))
    if not csv_names:
        raise InvalidInput(
            _("the ZIP archive holds no CSV file; import ODK Central's CSV download or an XLSX or JSON export"),
            code="intake.zip_without_csv",
        )
    tables = []
    for member in csv_names:
        label = member.rsplit("/", 1)[-1]
        text = _decode_member(_member(archive, member), label)
        tables.append(_csv_table(text, name=label, where=Phrase.of(TABLE_ROW, table=label)))
    roots = [t for t in tables if not _link_of(t)]
    if len(roots) != 1:
        if not roots:
            raise InvalidInput(
                _(
                    "an ODK Central download has one table of submissions and one per repeat group (with PARENT_KEY); "
                    "tables without PARENT_KEY here: none"
                ),
                code="intake.not_one_root",
            )
        raise InvalidInput(
            _(
                "an ODK Central download has one table of submissions and one per repeat group (with PARENT_KEY); "
                "tables without PARENT_KEY here: %(tables)s"
            ),
            code="intake.not_one_root",
            tables=", ".join(t.name for t in roots),
        )
    root = roots[0]
    stem = root.name.removesuffix(".csv").removesuffix(".CSV")
    for table in tables:
        if table is not root:
            base = table.name.rsplit(".", 1)[0]
            table.name = base.removeprefix(stem + "-") if base.startswith(stem + "-") else base
    # The submissions' own table is "the file" to the reader: its rows are "row 3", not "x.csv row 3".
    root_rows = [Row(Phrase.of(ROW, row=row.where.values["row"]), row.cells) for row in root.rows]
    children = [t for t in tables if t is not root]
    submissions = _assemble(Table(root.name, Phrase.of(ROW), root.header, root_rows), children)
    return Export("zip", "ZIP of CSV files", submissions, _platform(root.header))


def _decode_member(data: bytes, name: str) -> str:
    try:
        return _decode(data)
    except InvalidInput as exc:
        # The member's name before the reason, which keeps its own code and is said in the reader's language.
        raise InvalidInput(_("%(name)s: %(reason)s"), code=exc.code, name=name, reason=exc) from None


# ----------------------------------------------------------------------------------------------- XLSX


def read_xlsx(data: bytes) -> Export:
    """A KoBoToolbox XLSX export. Needs openpyxl; without it the import says so and writes nothing."""
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise InvalidInput(
            _(
                "reading XLSX workbooks needs the openpyxl package, which is not installed here; "
                "export CSV or JSON instead, or ask the administrator to install openpyxl"
            ),
            code="intake.no_openpyxl",
        ) from None
    _open_zip(data)  # refuses archives that unpack to too much before openpyxl inflates anything
    tables: list[Table] = []
    try:
        with warnings.catch_warnings():  # openpyxl warns about what it repairs; the refusal below is the message
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for index, sheet in enumerate(book.worksheets):
                title = str(sheet.title)
                if not hasattr(sheet, "iter_rows"):
                    continue  # a chart sheet
                sheet.reset_dimensions()  # the stored size can claim a million rows; read the cells that exist
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    records = _bounded(sheet.iter_rows(values_only=True), Phrase.of(SHEET, sheet=title))
                if not any(any(_filled(c) for c in r) for r in records):
                    continue
                where = Phrase.of(ROW) if index == 0 else Phrase.of(SHEET_ROW, sheet=title)
                tables.append(_table(records, name=Phrase.of(SHEET, sheet=title), where=where))
                tables[-1].name = title
        finally:
            book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # openpyxl raises whatever its XML and ZIP layers raise on a damaged file
        raise InvalidInput(
            _("the workbook cannot be read (%(detail)s); export it again"),
            code="intake.bad_workbook",
            detail=f"{type(exc).__name__}: {exc}",
        ) from None
    if not tables:
        raise InvalidInput(_("the workbook has no sheet with data"), code="intake.empty_workbook")
    return Export("xlsx", "XLSX workbook", _assemble(tables[0], tables[1:]), _platform(tables[0].header))


# ----------------------------------------------------------------------------------------- repeat rows


def _link_of(table: Table) -> tuple[str, str] | None:
    for child, parent in LINKS:
        if child in table.header:
            return child, parent
    return None


def _key(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _assemble(root: Table, children: list[Table]) -> list[RawSubmission]:
    """Submissions from the root table, each with its rows of every repeat table."""
    submissions = [RawSubmission(row.where, row.cells) for row in _at_most(root.rows)]
    for table in children:
        link = _link_of(table)
        if link is None:
            raise InvalidInput(
                _(
                    "%(table)s is not tied to the submissions: a repeat group's table needs "
                    "PARENT_KEY, _parent_index or _submission__uuid"
                ),
                code="intake.repeat_not_tied",
                table=table.name,
            )
        child_column, parent_column = link
        if parent_column not in root.header:
            raise InvalidInput(
                _("%(table)s refers to %(column)s, which the table of submissions lacks"),
                code="intake.repeat_parent_missing",
                table=table.name,
                column=parent_column,
            )
        by_key: dict[str, RawSubmission] = {}
        for submission in submissions:
            key = _key(submission.cells.get(parent_column))
            if key:
                if key in by_key:
                    raise InvalidInput(
                        _("%(where)s: %(column)s %(key)s appears twice"),
                        code="intake.key_twice",
                        where=submission.where,
                        column=parent_column,
                        key=key,
                    )
                by_key[key] = submission
        for row in table.rows:
            key = _key(row.cells.get(child_column))
            owner = by_key.get(key)
            if owner is None:
                raise InvalidInput(
                    _("%(where)s: %(column)s %(key)r matches no submission in the export"),
                    code="intake.repeat_orphan",
                    where=row.where,
                    column=child_column,
                    key=key,
                )
            owner.repeats.setdefault(table.name, []).append(row)
    return submissions


def _at_most(rows: list[Any]) -> list[Any]:
    if len(rows) > MAX_SUBMISSIONS:
        raise InvalidInput(
            _("the export holds %(count)s submissions; import at most %(limit)s at once"),
            code="intake.too_many_submissions",
            count=len(rows),
            limit=MAX_SUBMISSIONS,
        )
    return rows


# ----------------------------------------------------------------------------------------------- JSON


def read_json(text: str) -> Export:
    """KoBoToolbox's API answer: all of it, or the refusal says which part is missing."""
    try:
        document = jsonlimits.loads(text)
    except jsonlimits.TooDeep:
        raise InvalidInput(_("the JSON is nested too deeply to be an export"), code="intake.json_too_deep") from None
    except ValueError as exc:
        raise InvalidInput(
            _("the file is not valid JSON: %(detail)s"), code="intake.bad_json", detail=str(exc)
        ) from None
    _check_strings(document)
    if isinstance(document, dict):
        if "@odata.context" in document:
            raise InvalidInput(
                _("ODK Central's OData JSON is not read here: download the submissions as CSV (a ZIP)"),
                code="intake.odata",
            )
        if "results" not in document or not isinstance(document["results"], list):
            raise InvalidInput(
                _('expected the KoBoToolbox API\'s answer, {"count": …, "results": [...]}; no "results" list found'),
                code="intake.no_results",
            )
        results = document["results"]
        count = document.get("count")
        if document.get("next"):
            raise InvalidInput(
                _(
                    'this is one page of %(count)s submissions (%(here)s here; "next" names the rest): '
                    "download all of them (a larger limit= in the address) and import the whole answer"
                ),
                code="intake.one_page",
                count=count,
                here=len(results),
            )
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count != len(results)):
            raise InvalidInput(
                _('"count" says %(count)r but the answer holds %(here)s submissions'),
                code="intake.count_mismatch",
                count=count,
                here=len(results),
            )
    elif isinstance(document, list):
        results = document
    else:
        raise InvalidInput(
            _("expected the KoBoToolbox API's JSON answer (an object with results)"), code="intake.not_kobo"
        )
    return Export("json", "KoBoToolbox JSON", kobo_submissions(_at_most(results)), "kobo")


def _json_submissions(items: list[Any], first: int) -> Iterator[tuple[int, Phrase, dict[str, Any]]]:
    """The submissions of a platform's JSON answer, each with its number (from ``first``) and its place; text
    no database can keep, or a submission that is not a JSON object, is refused."""
    _check_strings(items)
    for number, item in enumerate(items, start=first):
        where = Phrase.of(SUBMISSION, submission=number)
        if not isinstance(item, dict):
            raise InvalidInput(_("%(where)s is not a JSON object"), code="intake.not_an_object", where=where)
        yield number, where, item


def kobo_submissions(results: list[Any], first: int = 1) -> list[RawSubmission]:
    """Submissions as KoBoToolbox's API (and its REST Services) give them: group paths in the keys, repeat
    groups as lists of objects. ``first`` numbers them, for the report."""
    submissions = []
    for number, where, result in _json_submissions(results, first):
        cells: dict[str, Any] = {}
        repeats: dict[str, list[Row]] = {}
        for key, value in result.items():
            if (
                isinstance(value, list)
                and value
                and all(isinstance(item, dict) for item in value)
                and not str(key).startswith("_")
            ):
                repeats[str(key)] = [
                    Row(
                        Phrase.of(REPEAT_ITEM, submission=number, group=str(key), item=i),
                        {str(k): v for k, v in item.items()},
                    )
                    for i, item in enumerate(value, start=1)
                ]
            else:
                cells[str(key)] = value
        submissions.append(RawSubmission(where, cells, repeats, original=result))
    return submissions


# Metadata ODK Central's OData gives under ``__system``, named as its CSV download names them.
ODK_SYSTEM = {"reviewState": "ReviewState", "submissionDate": "SubmissionDate", "submitterId": "SubmitterID"}


def odk_submissions(values: list[Any], first: int = 1) -> list[RawSubmission]:
    """Submissions as ODK Central's OData feed gives them (with ``$expand=*``): groups as nested objects,
    repeat groups as lists of objects, ``__id`` the submission's ID (the CSV download's ``KEY``) and
    ``__system`` its metadata. Cells are named by their group path, as in the CSV download."""
    submissions = []
    for _number, where, value in _json_submissions(values, first):
        cells: dict[str, Any] = {}
        repeats: dict[str, list[Row]] = {}
        system = value.get("__system")
        if isinstance(system, dict):
            cells.update({ODK_SYSTEM[k]: v for k, v in system.items() if k in ODK_SYSTEM})
        if "__id" in value:
            cells["KEY"] = value["__id"]
        _flatten_odk(value, "", cells, repeats, where)
        submissions.append(RawSubmission(where, cells, repeats, original=value))
    return submissions


def _flatten_odk(
    node: dict[str, Any], prefix: str, cells: dict[str, Any], repeats: dict[str, list[Row]], where: Phrase
) -> None:
    for key, value in node.items():
        key = str(key)
        if key.startswith("__") or "@odata." in key:
            continue  # join keys and links between OData tables, not answers
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten_odk(value, f"{path}/", cells, repeats, where)
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            rows = repeats.setdefault(path, [])
            for index, item in enumerate(value, start=1):
                row: dict[str, Any] = {}
                _flatten_odk(item, "", row, {}, where)
                rows.append(Row(Phrase.of(REPEAT_ITEM, **where.values, group=key, item=index), row))
        else:
            cells[path] = value


def _check_strings(document: Any) -> None:
    """Refuse text no database can keep: NUL characters and unpaired surrogates (JSON escapes allow both)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise InvalidInput(
                    _("the file contains a NUL character (\\u0000), which no export of a form holds"), code="intake.nul"
                )
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput(
                    _("the file contains an unpaired surrogate (a broken \\ud800-style escape)"),
                    code="intake.surrogate",
                ) from None
