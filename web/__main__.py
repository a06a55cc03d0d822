"""``python -m web ...``: the ``klachten`` command (runner commands plus ``serve``)."""

from .cli import main

main(prog_name="klachten")
