"""Safe parsing of BPMN/DMN XML.

Process models are XML, and XML parsers will happily expand entities (billion laughs),
read local files or fetch URLs named in a DOCTYPE (XXE). BPMN and DMN never need a
DOCTYPE, so any document that has one is refused outright, and the parser is set up to
neither resolve entities nor touch the network or load DTDs in the first place.

The returned root element can be handed straight to SpiffWorkflow:
``parser.add_bpmn_xml(root, filename=...)`` or ``parser.add_dmn_xml(root, filename=...)``.
"""

from __future__ import annotations

import pathlib
import re

from lxml import etree

from .errors import ModelError

__all__ = ["parse_xml", "read_xml_file"]

# Markup declarations; case-insensitive so that "<!doctype" is caught as well.
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# libxml2 appends ", line N, column M" to its messages; the line is reported separately.
_POSITION_SUFFIX = re.compile(r",\s*line \d+, column \d+\s*$")


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
    )


def _doctype_refused(source: str) -> ModelError:
    return ModelError(
        f"{source}: DOCTYPE is niet toegestaan (geen DTD of entiteiten in BPMN/DMN-modellen)"
    )


def _without_nul_bytes(data: bytes) -> bytes:
    """Crude UTF-16/32 view of ``data`` so the declaration check still sees ASCII."""
    return data.replace(b"\x00", b"") if b"\x00" in data else data


def parse_xml(data: bytes, source: str) -> etree._Element:
    """Parse ``data`` and return the root element; raise ModelError if unsafe or invalid.

    ``source`` names the document (usually its path) in error messages.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_xml expects bytes, got {type(data).__name__}")
    data = bytes(data)
    if _DECLARATION.search(_without_nul_bytes(data)):
        raise _doctype_refused(source)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else "?"
        message = _POSITION_SUFFIX.sub("", exc.msg or str(exc)).strip()
        raise ModelError(f"{source}: geen geldige XML: line {line}: {message}") from None
    if root is None:  # defensive: lxml raises on an empty document, but be sure
        raise ModelError(f"{source}: geen geldige XML: line 1: leeg document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _doctype_refused(source)
    return root


def read_xml_file(path: pathlib.Path) -> etree._Element:
    """Read and safely parse the XML file at ``path`` (OSError propagates unchanged)."""
    path = pathlib.Path(path)
    return parse_xml(path.read_bytes(), str(path))
