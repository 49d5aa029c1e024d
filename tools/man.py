"""The manual pages (docs/man/aitasker.1, aitasker-agents-pause.1, ...), one per command and
group, written in man(7) from the help table: what each command's `--help` shows, read from
the commands themselves (aitasker_cli/cli/completion.py's help_table, which the fast path
also answers `--help` from).

Run by tools/regen.py. The text is escaped for roff so that options and examples paste as
typed: every hyphen is a minus (`\\-`), quotes are straight (`\\(aq`, `\\(ga`), backslashes
are `\\e`; a line never starts with a control character; non-ASCII characters are
`\\[uXXXX]`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aitasker_cli import __version__

if TYPE_CHECKING:
    from aitasker_cli.fast.help_text import HelpTable, Page, Section

FOLDER = "docs/man"
SECTION = "1"
MANUAL = "aitasker manual"
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_,]*(?:\.\.\.)?")
"""An argument or a value in a usage line or an option's name: AGENT_ID..., SECONDS, A,B,C."""


def page_name(key: str) -> str:
    """aitasker-agents-pause for the help table's "agents pause"; aitasker for ""."""
    return "-".join(("aitasker", *key.split()))


def roff(text: str) -> str:
    """Text escaped for roff, on lines that never start with a control character."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-").replace("'", "\\(aq")
    escaped = escaped.replace("`", "\\(ga")
    escaped = "".join(char if ord(char) < 128 else f"\\[u{ord(char):04X}]" for char in escaped)
    return "\n".join(
        f"\\&{line}" if line.startswith((".", "'")) else line for line in escaped.split("\n")
    )


def filled(text: str) -> str:
    """A paragraph of help text as one roff line (roff fills it to the page's width)."""
    return roff(" ".join(text.split()))


def paragraphs(text: str) -> list[str]:
    return [filled(part) for part in text.split("\n\n") if part.strip()]


def first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split())


def usage_line(command: str, pieces: str) -> str:
    """The synopsis: the command in bold, its arguments and OPTIONS in italics."""
    args = _PLACEHOLDER.sub(lambda match: f"\x00I{match.group()}\x00R", pieces)
    styled = roff(args).replace("\x00I", "\\fI").replace("\x00R", "\\fR")
    return f"\\fB{roff(command)}\\fR {styled}".rstrip()


def term(name: str) -> str:
    """An option's or argument's names as a tag: -o, --output in bold, FORMAT in italics."""
    alternatives = []
    for alternative in name.split(", "):
        words = [
            f"\\fB{roff(word)}\\fR" if word.startswith("-") else f"\\fI{roff(word)}\\fR"
            for word in alternative.split(" ")
        ]
        alternatives.append(" ".join(words))
    return ", ".join(alternatives)


def section(title: str) -> str:
    return f'.SH "{title.upper()}"'


def rows_section(found: Section, key: str) -> list[str]:
    """Commands, Arguments, Options, Global options: a tagged paragraph a row."""
    lines = [section(found["title"])]
    listing_commands = found["reserve"] is not None
    for name, text in [*found["rows"], *found["after"]]:
        lines.append(".TP")
        if listing_commands:
            see = page_name(f"{key} {name}".strip())
            lines.append(f"\\fB{roff(name)}\\fR")
            lines.append(filled(first_paragraph(text)))
            if name != "help":
                lines.append(f"See \\fB{roff(see)}\\fR({SECTION}).")
        else:
            lines.append(term(name))
            lines.extend(_joined(paragraphs(text)))
    return lines


def _joined(parts: list[str]) -> list[str]:
    """Paragraphs inside a tagged paragraph: a blank line between them, without leaving it."""
    lines: list[str] = []
    for index, part in enumerate(parts):
        if index:
            lines.append(".IP")
        lines.append(part)
    return lines


def environment(table: HelpTable) -> list[str]:
    """The root page's ENVIRONMENT: each variable, and the option whose default it sets."""
    by_variable: dict[str, str] = {}
    for found in table["pages"][""]["sections"]:
        for name, text in found["rows"]:
            for variable in table["envvars"]:
                if f"env var: {variable}" in text:
                    longest = max(name.replace(",", " ").split(), key=len)
                    by_variable.setdefault(variable, longest)
    lines = [section("Environment")]
    for variable in table["envvars"]:
        lines.append(".TP")
        lines.append(f"\\fB{roff(variable)}\\fR")
        option = by_variable.get(variable)
        lines.append(f"The default of \\fB{roff(option)}\\fR." if option else "See the options.")
    return lines


def page(key: str, found: Page, table: HelpTable) -> str:
    """One manual page."""
    name = page_name(key)
    command, pieces = found["usage"]
    summary = first_paragraph(found["help"]) or command
    lines = [
        f'.TH "{name.upper()}" "{SECTION}" "" "aitasker {__version__}" "{MANUAL}"',
        ".nh",  # no hyphenation: IDs, options and paths are never cut
        ".ad l",  # nor stretched to the right margin
        section("Name"),
        f"{roff(name)} \\- {filled(summary)}",
        section("Synopsis"),
        usage_line(command, pieces),
    ]
    described = paragraphs(found["help"])
    if described:
        lines.append(section("Description"))
        for index, part in enumerate(described):
            if index:
                lines.append(".PP")
            lines.append(part)
    for each in found["sections"]:
        lines.extend(rows_section(each, key))
    if found["examples"]:
        lines.extend([section("Examples"), ".PP", ".nf", ".RS 4"])
        lines.extend(roff(line) for line in found["examples"])
        lines.extend([".RE", ".fi"])
    if not key:
        lines.extend(environment(table))
    lines.extend([section("See also"), see_also(key, table)])
    return "\n".join(lines) + "\n"


def see_also(key: str, table: HelpTable) -> str:
    """The page above this one, the pages below it, and aitasker(1)."""
    words = key.split()
    related = ["aitasker"] if words else []
    if len(words) > 1:
        related.append(page_name(" ".join(words[:-1])))
    for other in table["pages"]:
        if other.split()[:-1] == words and other:
            related.append(page_name(other))
    if not related:
        return roff("aitasker --help")
    return ",\n".join(f"\\fB{roff(each)}\\fR({SECTION})" for each in related)


def man_pages(table: HelpTable) -> dict[str, str]:
    """Every page, by its path from the repository's root."""
    return {
        f"{FOLDER}/{page_name(key)}.{SECTION}": page(key, found, table)
        for key, found in table["pages"].items()
    }
