"""Every command of ``klachten`` explains itself: a help text on each command and
subcommand, a one-line summary in the listing that is a whole sentence (not cut by click),
and options named in English, each with its own help."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from web.cli import main

WIDTH = 78  # click's help width on an 80-column terminal (it keeps two columns free)


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    """(path, command, the group that lists it) for every command under ``group``."""
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command, group
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


COMMANDS = list(_commands(main))
IDS = [" ".join(path) for path, _, _ in COMMANDS]


def _listed(parent: click.Group, name: str) -> str:
    """The summary of ``name`` as ``klachten [GROUP] --help`` lists it."""
    result = CliRunner().invoke(main, [*_group_path(parent), "--help"], terminal_width=WIDTH)
    lines = result.output.split("Commands:\n", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
    text = lines[start].split(maxsplit=1)[1]
    for line in lines[start + 1:]:  # a summary wrapped onto the next lines
        if not line.startswith(" " * 6) or line.split()[:1] in ([n] for n in parent.commands):
            break
        text += " " + line.strip()
    return text


def _group_path(group: click.Group) -> list[str]:
    for path, command, _ in COMMANDS:
        if command is group:
            return list(path)
    return []


@pytest.mark.parametrize(("path", "command", "parent"), COMMANDS, ids=IDS)
def test_every_command_has_a_help_text(path, command, parent):
    assert (command.help or "").strip(), f"klachten {' '.join(path)}: geen helptekst"


@pytest.mark.parametrize(("path", "command", "parent"), COMMANDS, ids=IDS)
def test_the_listing_shows_a_whole_sentence(path, command, parent):
    summary = _listed(parent, path[-1])
    first_paragraph = " ".join((command.help or "").partition("\n\n")[0].split())
    assert not summary.endswith("..."), f"klachten {' '.join(path)}: afgekapt: {summary}"
    assert summary.endswith("."), summary
    assert summary.count("(") == summary.count(")"), f"afgekapt: {summary}"
    assert first_paragraph.startswith(summary), summary


@pytest.mark.parametrize(("path", "command", "parent"), COMMANDS, ids=IDS)
def test_options_are_english_and_explained(path, command, parent):
    for option in command.params:
        if not isinstance(option, click.Option):
            continue
        assert option.help, f"klachten {' '.join(path)} {option.opts[0]}: geen helptekst"
        for name in option.opts + option.secondary_opts:
            assert re.fullmatch(r"-[a-z]|--[a-z]+(-[a-z]+)*", name), name
            assert not set(name.split("-")) & {"zonder", "uitvoeren", "naam", "gebruiker"}, name
