"""Tests for safe XML parsing of process models."""

from __future__ import annotations

import re

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from runner.bpmn.errors import ModelError
from runner.bpmn.safe_xml import parse_xml, read_xml_file

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<definitions>&xxe;</definitions>
"""

PLAIN_DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions>
<definitions/>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://example.invalid/evil.dtd">
<definitions/>
"""

GOOD_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <!-- comments are kept -->
  <bpmn:process id="eenvoudig" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="einde"/>
    <bpmn:endEvent id="einde"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(
    "payload",
    [BILLION_LAUGHS, XXE, PLAIN_DOCTYPE, EXTERNAL_DTD],
    ids=["billion-laughs", "xxe", "plain-doctype", "external-dtd"],
)
def test_doctype_is_rejected(payload):
    with pytest.raises(ModelError, match=r"^model\.bpmn: DOCTYPE is niet toegestaan"):
        parse_xml(payload, "model.bpmn")


def test_doctype_in_utf16_is_rejected():
    payload = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16")
    with pytest.raises(ModelError, match="DOCTYPE"):
        parse_xml(payload, "model.bpmn")


def test_doctype_is_rejected_after_parsing_too(monkeypatch):
    """The post-parse docinfo check holds even if the byte scan is bypassed."""
    from runner.bpmn import safe_xml

    monkeypatch.setattr(safe_xml, "_DECLARATION", re.compile(rb"(?!)"))
    for payload in (XXE, PLAIN_DOCTYPE, EXTERNAL_DTD):
        with pytest.raises(ModelError, match="DOCTYPE"):
            parse_xml(payload, "model.bpmn")
    # libxml2 itself already stops the amplification while parsing the DTD.
    with pytest.raises(ModelError, match=r"^model\.bpmn: "):
        parse_xml(BILLION_LAUGHS, "model.bpmn")


@pytest.mark.parametrize(
    ("payload", "line"),
    [
        (b"<a>\n  <b>\n</a>", 3),
        (b"<a x='1' x='2'/>", 1),
        (b"<a/>\n<b/>", 2),
        (b"<a>&undefined;</a>", 1),
        (b"", 1),
    ],
)
def test_malformed_xml_reports_line(payload, line):
    with pytest.raises(ModelError) as excinfo:
        parse_xml(payload, "kapot.bpmn")
    message = str(excinfo.value)
    assert message.startswith(f"kapot.bpmn: geen geldige XML: line {line}: ")
    assert "\n" not in message


def test_good_xml_returns_root():
    root = parse_xml(GOOD_BPMN, "goed.bpmn")
    assert isinstance(root, etree._Element)
    assert root.tag == "{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions"
    assert any(isinstance(node, etree._Comment) for node in root)


def test_predefined_entities_and_character_references_still_work():
    root = parse_xml(b"<a>x &lt; y &amp;&amp; &#65;</a>", "tekst.xml")
    assert root.text == "x < y && A"


def test_root_is_accepted_by_spiff_parser():
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(parse_xml(GOOD_BPMN, "goed.bpmn"), filename="goed.bpmn")
    spec = parser.get_spec("eenvoudig")
    assert spec.file == "goed.bpmn"


def test_read_xml_file_uses_path_as_source(tmp_path):
    good = tmp_path / "goed.bpmn"
    good.write_bytes(GOOD_BPMN)
    assert read_xml_file(good).tag.endswith("definitions")

    bad = tmp_path / "slecht.bpmn"
    bad.write_bytes(XXE)
    with pytest.raises(ModelError, match="^" + re.escape(f"{bad}: DOCTYPE is niet toegestaan")):
        read_xml_file(bad)
