"""Answers `--help` from the generated help table, with the standard library only.

Typer and Click would cost their whole start-up on every `aitasker ... --help`, so this module
reads `help_table.json` instead: for every command path, what Click computes for the help
that does not depend on the terminal's width (usage pieces, help text, each section's rows,
the examples). It lays them out as Click's HelpFormatter does, at the width Click would use.
`aitasker_cli/cli/completion.py` writes the table from the commands themselves, and a test
checks that the output is byte for byte Typer's, for every command and many widths.

Only unambiguous requests are answered here (`aitasker`, a bare group, `WORDS --help`,
`WORDS -h`, `help WORDS`, with known command words and nothing else); anything else runs the
CLI, which answers as before.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap

from aitasker_cli.core.startup import COMPLETE_VAR
from aitasker_cli.fast import help_page

TYPE_CHECKING = False
"""typing.TYPE_CHECKING without importing typing."""
if TYPE_CHECKING:
    from typing import TypedDict

    class Section(TypedDict):
        title: str
        rows: list[tuple[str, str]]
        reserve: int | None
        """For a command list: the width Click takes off for the names; each right column is
        then the command's help, shortened as Click's `get_short_help_str` does."""
        after: list[tuple[str, str]]
        """Rows written as they are, after those (`help` in the root's command list)."""

    class Page(TypedDict):
        usage: tuple[str, str]
        help: str
        sections: list[Section]
        examples: list[str]
        help_options: list[str]
        bare: bool

    class HelpTable(TypedDict):
        pages: dict[str, Page]
        envvars: list[str]


HELP_FILE = "help_table.json"
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def load() -> HelpTable:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), HELP_FILE)
    with open(path, encoding="utf-8") as file:
        found: HelpTable = json.load(file)
    return found


def answer(args: list[str]) -> bool:
    """Print the help ARGS ask for and return True, or return False to let the CLI answer."""
    if os.environ.get(COMPLETE_VAR):
        return False
    help_table = load()
    page = requested_page(help_table, args)
    if page is None:
        return False
    text = render(page, width()) + "\n"
    if sys.stdout is None:  # closed: Click's echo writes nothing
        return True
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def requested_page(help_table: HelpTable, args: list[str]) -> Page | None:
    """The page ARGS ask for, when they ask for nothing but a known command's help."""
    pages = help_table["pages"]
    if not args:
        return pages[""]
    request = help_page(args)
    if request is None:
        return None
    words, flag = request
    page = pages.get(" ".join(words))
    if page is None or (flag not in page["help_options"] if flag else not page["bare"]):
        return None
    if words and any(os.environ.get(name) for name in help_table["envvars"]):
        return None  # the root's options read these first, and may fail on their values
    return page


def width() -> int:
    """The width Click's HelpFormatter takes: the terminal's, at most 80, less 2; 50 or more."""
    return max(min(_terminal_columns(), 80) - 2, 50)


def _terminal_columns() -> int:
    """shutil.get_terminal_size().columns, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


def render(page: Page, width: int) -> str:
    """The page as Click's `get_help` returns it (no final newline)."""
    out = _Formatter(width)
    out.write_usage(*page["usage"])
    if page["help"]:
        out.write_paragraph()
        with out.indentation():
            out.write_text(page["help"])
    for section in page["sections"]:
        rows = [(left, right) for left, right in section["rows"]]
        reserve = section["reserve"]
        if reserve is not None:
            limit = width - 6 - reserve
            rows = [(left, short_help(right, limit).strip()) for left, right in rows]
        rows.extend((left, right) for left, right in section["after"])
        with out.section(section["title"]):
            out.write_dl(rows)
    if page["examples"]:
        with out.section("Examples"):
            for line in page["examples"]:
                out.write(f"{'':>{out.current_indent}}{line}\n")
    return "".join(out.buffer).rstrip("\n")


def short_help(text: str, max_length: int) -> str:
    """Click's make_default_short_help."""
    paragraph_end = text.find("\n\n")
    if paragraph_end != -1:
        text = text[:paragraph_end]
    words = text.split()
    if not words:
        return ""
    if words[0] == "\b":
        words = words[1:]
    total_length = 0
    last_index = len(words) - 1
    i = 0
    for i, word in enumerate(words):
        total_length += len(word) + (i > 0)
        if total_length > max_length:
            break
        if word[-1] == ".":
            return " ".join(words[: i + 1])
        if total_length == max_length and i != last_index:
            break
    else:
        return " ".join(words)
    total_length += len("...")
    while i > 0:
        total_length -= len(words[i]) + (i > 0)
        if total_length <= max_length:
            break
        i -= 1
    return " ".join(words[:i]) + "..."


def term_len(text: str) -> int:
    return len(_ANSI.sub("", text))


class _Wrapper(textwrap.TextWrapper):
    """Click's TextWrapper: long words are cut to the space left."""

    def _handle_long_word(
        self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
    ) -> None:
        space_left = max(width - cur_len, 1)
        last = reversed_chunks[-1]
        cur_line.append(last[:space_left])
        reversed_chunks[-1] = last[space_left:]


def wrap_text(
    text: str,
    width: int = 78,
    initial_indent: str = "",
    subsequent_indent: str = "",
    preserve_paragraphs: bool = False,
) -> str:
    """Click's wrap_text."""
    text = text.expandtabs()
    wrapper = _Wrapper(
        width,
        initial_indent=initial_indent,
        subsequent_indent=subsequent_indent,
        replace_whitespace=False,
    )
    if not preserve_paragraphs:
        return wrapper.fill(text)
    paragraphs: list[tuple[int, bool, str]] = []
    buf: list[str] = []
    indent: int | None = None

    def flush() -> None:
        if not buf:
            return
        if buf[0].strip() == "\b":
            paragraphs.append((indent or 0, True, "\n".join(buf[1:])))
        else:
            paragraphs.append((indent or 0, False, " ".join(buf)))
        del buf[:]

    for line in text.splitlines():
        if not line:
            flush()
            indent = None
        else:
            if indent is None:
                original = term_len(line)
                line = line.lstrip()
                indent = original - term_len(line)
            buf.append(line)
    flush()
    done = []
    for extra, raw, paragraph in paragraphs:
        first, rest = wrapper.initial_indent, wrapper.subsequent_indent
        wrapper.initial_indent, wrapper.subsequent_indent = first + " " * extra, rest + " " * extra
        try:
            if raw:
                lines = paragraph.splitlines()
                done.append(
                    "\n".join(
                        f"{wrapper.initial_indent if n == 0 else wrapper.subsequent_indent}{line}"
                        for n, line in enumerate(lines)
                    )
                )
            else:
                done.append(wrapper.fill(paragraph))
        finally:
            wrapper.initial_indent, wrapper.subsequent_indent = first, rest
    return "\n\n".join(done)


class _Formatter:
    """Click's HelpFormatter, the parts the help pages use."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.current_indent = 0
        self.buffer: list[str] = []

    def write(self, string: str) -> None:
        self.buffer.append(string)

    def write_usage(self, prog: str, args: str = "", prefix: str = "Usage: ") -> None:
        usage_prefix = f"{prefix:>{self.current_indent}}{prog} "
        text_width = self.width - self.current_indent
        if text_width >= (term_len(usage_prefix) + 20):
            indent = " " * term_len(usage_prefix)
            self.write(
                wrap_text(args, text_width, initial_indent=usage_prefix, subsequent_indent=indent)
            )
        else:
            self.write(usage_prefix)
            self.write("\n")
            indent = " " * (max(self.current_indent, term_len(prefix)) + 4)
            self.write(wrap_text(args, text_width, initial_indent=indent, subsequent_indent=indent))
        self.write("\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}:\n")

    def write_paragraph(self) -> None:
        if self.buffer:
            self.write("\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(
            wrap_text(
                text,
                self.width,
                initial_indent=indent,
                subsequent_indent=indent,
                preserve_paragraphs=True,
            )
        )
        self.write("\n")

    def write_dl(
        self, rows: list[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        first_width = max((term_len(left) for left, _ in rows), default=0)
        first_col = min(first_width, col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if term_len(first) <= first_col - col_spacing:
                self.write(" " * (first_col - term_len(first)))
            else:
                self.write("\n")
                self.write(" " * (first_col + self.current_indent))
            text_width = max(self.width - first_col - 2, 10)
            lines = wrap_text(second, text_width, preserve_paragraphs=True).splitlines()
            if lines:
                self.write(f"{lines[0]}\n")
                for line in lines[1:]:
                    self.write(f"{'':>{first_col + self.current_indent}}{line}\n")
            else:
                self.write("\n")

    def section(self, name: str) -> _Indented:
        self.write_paragraph()
        self.write_heading(name)
        return _Indented(self)

    def indentation(self) -> _Indented:
        return _Indented(self)


class _Indented:
    """Click's `formatter.indentation()`, without contextlib."""

    def __init__(self, formatter: _Formatter) -> None:
        self.formatter = formatter

    def __enter__(self) -> None:
        self.formatter.current_indent += 2

    def __exit__(self, *_: object) -> None:
        self.formatter.current_indent -= 2
