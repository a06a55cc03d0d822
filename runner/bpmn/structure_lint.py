"""Checks of a BPMN file's structure and drawing, read from its XML: what bpmnlint's default
rule set checks in the modeler and in CI, here in Python so that ``lint`` and every deploy
run them too, and what a designer's drawing must agree with:

* every flow node and sequence flow is drawn (a ``BPMNShape``/``BPMNEdge``), and nothing is
  drawn that the model no longer has (the dossier diagram shows the current step from these);
* in a process with lanes, every flow node sits in a lane, and its shape is drawn inside
  that lane (the XML decides who does a task, the drawing is what the designer reads);
* a message that a catch event waits for has a sender: a throw event of the model or one
  the application sends (:attr:`external_messages`);
* bpmnlint's default rules, with their names: ``start-event-required``,
  ``end-event-required``, ``no-disconnected``, ``no-implicit-start``, ``no-implicit-end``,
  ``no-implicit-split``, ``conditional-flows``, ``label-required``,
  ``no-duplicate-sequence-flows``, ``no-complex-gateway``, ``no-inclusive-gateway``,
  ``no-gateway-join-fork``, ``single-blank-start-event``, ``single-event-definition``,
  ``sub-process-blank-start-event``, ``event-sub-process-typed-start-event``,
  ``event-based-gateway``, ``fake-join`` and ``superfluous-gateway``.

Each problem names the element, what is wrong and what to do, in Dutch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from .errors import ERROR, WARNING

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"

_EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
           "boundaryEvent")
_GATEWAYS = ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
             "complexGateway")
_ACTIVITIES = ("task", "userTask", "serviceTask", "scriptTask", "businessRuleTask",
               "manualTask", "sendTask", "receiveTask", "callActivity", "subProcess",
               "transaction", "adHocSubProcess")
FLOW_NODES = frozenset(_EVENTS + _GATEWAYS + _ACTIVITIES)
_SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
_DEFINITIONS = ("messageEventDefinition", "timerEventDefinition", "signalEventDefinition",
                "errorEventDefinition", "escalationEventDefinition", "conditionalEventDefinition",
                "compensateEventDefinition", "linkEventDefinition",
                "terminateEventDefinition", "cancelEventDefinition")
_CATCH_TARGETS = frozenset({"intermediateCatchEvent", "receiveTask"})
REDRAW = ("open het model in de modeler (bpmn.io, Camunda Modeler), teken het element "
          "opnieuw of verplaats het even, en sla het model opnieuw op")


@dataclass(frozen=True)
class Finding:
    element: str
    message: str
    severity: str = ERROR


def _id(element: etree._Element) -> str:
    return element.get("id") or ""


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(container: etree._Element, *names: str) -> list[etree._Element]:
    return [child for child in container if local(child) in names
            and etree.QName(child).namespace == BPMN]


def _containers(root: etree._Element) -> Iterator[etree._Element]:
    """Every process and (event) subprocess of the file."""
    yield from root.iter(f"{{{BPMN}}}process", *(f"{{{BPMN}}}{name}" for name in _SUBPROCESSES))


def _label(element: etree._Element) -> str:
    name = (element.get("name") or "").strip()
    return f"'{name}'" if name else "(zonder naam)"


class StructureCheck:
    """The checks of one ``.bpmn`` file; :meth:`findings` gives every problem found."""

    def __init__(self, root: etree._Element, external_messages: Iterable[str] = ()):
        self.root = root
        self.external_messages = frozenset(external_messages)
        self.nodes = {_id(node): node for node in root.iter()
                      if local(node) in FLOW_NODES and _id(node)}
        self.flows = {_id(flow): flow for flow in root.iter(f"{{{BPMN}}}sequenceFlow")}
        self.incoming: dict[str, list[etree._Element]] = {}
        self.outgoing: dict[str, list[etree._Element]] = {}
        for flow in self.flows.values():
            self.outgoing.setdefault(flow.get("sourceRef", "") or "", []).append(flow)
            self.incoming.setdefault(flow.get("targetRef", "") or "", []).append(flow)
        self.shapes = {shape.get("bpmnElement", ""): shape
                       for shape in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")}

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        for check in (self.drawing, self.lanes, self.messages, self.containers,
                      self.connections, self.splits, self.labels, self.gateways, self.events):
            found += check()
        return found

    # ---------------------------------------------------------------- the drawing

    def drawing(self) -> list[Finding]:
        if not any(True for _ in self.root.iter(f"{{{BPMNDI}}}BPMNDiagram")):
            return [Finding("", "het model heeft geen tekening (BPMNDiagram; bpmnlint: "
                                "no-bpmndi); " + REDRAW)]
        found = []
        for ident, element in [*self.nodes.items(), *self.flows.items()]:
            if ident not in self.shapes:
                kind = "stroom" if local(element) == "sequenceFlow" else "element"
                found.append(Finding(ident, f"{kind} {_label(element)} is niet getekend (geen "
                                            "BPMNShape/BPMNEdge; bpmnlint: no-bpmndi): het "
                                            "verdwijnt uit het dossierdiagram; " + REDRAW))
        known = {_id(element) for element in self.root.iter() if _id(element)}
        for ident, shape in self.shapes.items():
            if ident not in known:
                found.append(Finding(_id(shape), f"de tekening toont '{ident}', "
                                     "maar dat element bestaat niet meer in het model "
                                     "(verouderde tekening); " + REDRAW))
        return found

    def _bounds(self, ident: str) -> tuple[float, float, float, float] | None:
        shape = self.shapes.get(ident)
        box = shape.find(f"{{{DC}}}Bounds") if shape is not None else None
        if box is None:
            return None
        try:
            return (float(box.get("x", "")), float(box.get("y", "")),
                    float(box.get("width", "")), float(box.get("height", "")))
        except ValueError:
            return None

    # ---------------------------------------------------------------- lanes

    def lanes(self) -> list[Finding]:
        found = []
        for process in self.root.iter(f"{{{BPMN}}}process"):
            lanes = [lane for lane in process.iter(f"{{{BPMN}}}lane")
                     if not _children(lane, "childLaneSet")]
            if not lanes:
                continue
            lane_of: dict[str, etree._Element] = {}
            for lane in lanes:
                for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
                    lane_of[(ref.text or "").strip()] = lane
            for node in process.iter():
                ident = _id(node)
                if local(node) not in FLOW_NODES or local(node) in _SUBPROCESSES:
                    continue  # a subprocess may span lanes; its own nodes sit in one
                if ident not in lane_of:
                    found.append(Finding(ident, f"{_label(node)} staat in geen enkele lane: "
                                         "niemand mag het uitvoeren en het dossier loopt vast; "
                                         "sleep het in de modeler in de lane van wie het doet"))
                    continue
                found += self._drawn_in_lane(ident, node, lane_of[ident], lanes)
        return found

    def _drawn_in_lane(self, ident: str, node: etree._Element, lane: etree._Element,
                       lanes: list[etree._Element]) -> list[Finding]:
        box = self._bounds(ident)
        if box is None:
            return []
        centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
        drawn_in = [other for other in lanes if _inside(centre, self._bounds(_id(other)
                                                                             or ""))]
        if not drawn_in or lane in drawn_in:
            return []
        return [Finding(ident, f"{_label(node)} is getekend in lane "
                        f"{_label(drawn_in[0])}, maar het model zet het in lane {_label(lane)} "
                        "(die bepaalt wie het uitvoert); sleep het in de modeler naar de "
                        "lane waar het hoort, zodat tekening en model overeenkomen")]

    # ---------------------------------------------------------------- messages

    def messages(self) -> list[Finding]:
        names = {_id(message): message.get("name") or _id(message)
                 for message in self.root.iter(f"{{{BPMN}}}message")}
        sent, caught = set(self.external_messages), []
        for definition in self.root.iter(f"{{{BPMN}}}messageEventDefinition"):
            event = definition.getparent()
            reference = definition.get("messageRef") or ""
            name = names.get(reference, reference)
            if event is None:
                continue
            if local(event) in ("intermediateThrowEvent", "endEvent"):
                sent.add(name)
            else:
                caught.append((event, name))
        for task in self.root.iter(f"{{{BPMN}}}sendTask"):
            sent.add(names.get(task.get("messageRef") or "", ""))
        known = ", ".join(sorted(sent)) or "geen"
        return [Finding(_id(event),
                        f"wacht op bericht '{name}', maar niemand stuurt dat bericht (geen "
                        f"werpgebeurtenis in het model, en de toepassing stuurt: {known}): het "
                        "dossier wacht voor altijd; kies de naam van een bericht dat verstuurd "
                        "wordt (let op tikfouten)")
                for event, name in caught if name not in sent]

    # ------------------------------------------------- bpmnlint's default rule set

    def containers(self) -> list[Finding]:
        found = []
        for container in _containers(self.root):
            if local(container) == "adHocSubProcess":
                continue
            ident, what = _id(container), (
                "proces" if local(container) == "process" else "deelproces")
            starts = _children(container, "startEvent")
            if not starts:
                found.append(Finding(ident, f"{what} {_label(container)} heeft geen "
                                     "startgebeurtenis (bpmnlint: start-event-required); "
                                     "teken er een"))
            if not _children(container, "endEvent"):
                found.append(Finding(ident, f"{what} {_label(container)} heeft geen "
                                     "eindgebeurtenis (bpmnlint: end-event-required); "
                                     "laat elk pad in een eindgebeurtenis eindigen"))
            blank = [start for start in starts if not _definitions(start)]
            if len(blank) > 1:
                found.append(Finding(ident, f"{what} {_label(container)} heeft meer dan één "
                                     "lege startgebeurtenis (bpmnlint: single-blank-start-event); "
                                     "houd er één over"))
            if local(container) in _SUBPROCESSES:
                found += self._subprocess_starts(container, starts)
        return found

    def _subprocess_starts(self, container: etree._Element,
                           starts: list[etree._Element]) -> list[Finding]:
        found = []
        for start in starts:
            typed = bool(_definitions(start))
            if container.get("triggeredByEvent") == "true" and not typed:
                found.append(Finding(_id(start), "de start van een "
                                     "gebeurtenis-deelproces moet een type hebben (bericht, "
                                     "timer, ...; bpmnlint: event-sub-process-typed-start-event)"))
            elif container.get("triggeredByEvent") != "true" and typed:
                found.append(Finding(_id(start), "de start van een ingebed "
                                     "deelproces moet leeg zijn (bpmnlint: "
                                     "sub-process-blank-start-event); zet de gebeurtenis op de "
                                     "rand van het deelproces"))
        return found

    def connections(self) -> list[Finding]:
        found = []
        for ident, node in self.nodes.items():
            kind = local(node)
            ins, outs = self.incoming.get(ident, []), self.outgoing.get(ident, [])
            if node.get("triggeredByEvent") == "true":
                continue
            if not ins and not outs and kind != "boundaryEvent":
                found.append(Finding(ident, f"{_label(node)} is met niets verbonden "
                                     "(bpmnlint: no-disconnected); verbind het of verwijder het"))
                continue
            if not ins and kind not in ("startEvent", "boundaryEvent"):
                found.append(Finding(ident, f"{_label(node)} heeft geen inkomende stroom "
                                     "(bpmnlint: no-implicit-start); het wordt nooit bereikt"))
            if not outs and kind != "endEvent":
                found.append(Finding(ident, f"{_label(node)} heeft geen uitgaande stroom "
                                     "(bpmnlint: no-implicit-end); laat het pad in een "
                                     "eindgebeurtenis eindigen"))
            if len(ins) > 1 and kind not in _GATEWAYS:
                found.append(Finding(ident, f"{_label(node)} heeft {len(ins)} inkomende "
                                     "stromen (bpmnlint: fake-join); voeg ze samen met een "
                                     "gateway", WARNING))
        return found

    def splits(self) -> list[Finding]:
        found, seen = [], set()
        for ident, flow in self.flows.items():
            key = (flow.get("sourceRef", ""), flow.get("targetRef", ""))
            if key in seen:
                found.append(Finding(ident, f"dubbele stroom van '{key[0]}' naar '{key[1]}' "
                                     "(bpmnlint: no-duplicate-sequence-flows); verwijder er één"))
            seen.add(key)
        for ident, node in self.nodes.items():
            outs = self.outgoing.get(ident, [])
            unconditional = [flow for flow in outs if not _conditional(flow)
                             and _id(flow) != node.get("default")]
            if local(node) not in _GATEWAYS and len(unconditional) > 1:
                found.append(Finding(ident, f"{_label(node)} splitst zonder gateway "
                                     "(bpmnlint: no-implicit-split); zet er een gateway achter"))
            conditional_fork = node.get("default") or any(_conditional(f) for f in outs)
            if conditional_fork and local(node) != "parallelGateway":
                found += [Finding(_id(flow), "stroom zonder voorwaarde na een "
                                  f"keuze bij {_label(node)} (bpmnlint: conditional-flows); "
                                  "geef een voorwaarde of maak het de standaardstroom")
                          for flow in unconditional]
        return found

    def labels(self) -> list[Finding]:
        found = []
        for ident, node in self.nodes.items():
            kind = local(node)
            forking = len(self.outgoing.get(ident, [])) > 1
            if kind in ("parallelGateway", "eventBasedGateway") or kind in _SUBPROCESSES:
                continue
            if kind in _GATEWAYS and not forking:
                continue
            if not (node.get("name") or "").strip():
                found.append(Finding(ident, "element zonder naam (bpmnlint: label-required): "
                                     "de naam is wat de gebruikers lezen; geef het "
                                     "een naam"))
        for ident, flow in self.flows.items():
            if _conditional(flow) and not (flow.get("name") or "").strip():
                found.append(Finding(ident, "stroom met een voorwaarde zonder naam (bpmnlint: "
                                     "label-required); geef hem een naam (bv. 'ja')"))
        return found

    def gateways(self) -> list[Finding]:
        found = []
        for ident, node in self.nodes.items():
            kind = local(node)
            ins, outs = self.incoming.get(ident, []), self.outgoing.get(ident, [])
            if kind == "complexGateway":
                found.append(Finding(ident, "complexe gateway (bpmnlint: no-complex-gateway): "
                                     "de motor voert die niet uit; gebruik een exclusieve of "
                                     "parallelle gateway"))
            if kind == "inclusiveGateway":
                found.append(Finding(ident, "inclusieve gateway (bpmnlint: "
                                     "no-inclusive-gateway); een exclusieve of parallelle is "
                                     "duidelijker", WARNING))
            if kind in _GATEWAYS and len(ins) > 1 and len(outs) > 1:
                found.append(Finding(ident, f"gateway {_label(node)} voegt samen en splitst "
                                     "tegelijk (bpmnlint: no-gateway-join-fork); gebruik er "
                                     "twee"))
            if kind in _GATEWAYS and len(ins) == 1 and len(outs) == 1:
                found.append(Finding(ident, f"gateway {_label(node)} heeft één stroom in en "
                                     "één uit (bpmnlint: superfluous-gateway); verwijder hem",
                                     WARNING))
            if kind == "eventBasedGateway":
                found += [Finding(_id(flow), "na een gebeurtenisgateway volgt een "
                                  "wachtende gebeurtenis (bericht, timer) of een ontvangsttaak "
                                  "(bpmnlint: event-based-gateway)")
                          for flow in outs if local(self.nodes.get(flow.get("targetRef", ""), node))
                          not in _CATCH_TARGETS]
        return found

    def events(self) -> list[Finding]:
        return [Finding(ident, f"{_label(node)} heeft meer dan één gebeurtenisdefinitie "
                        "(bpmnlint: single-event-definition); houd er één over")
                for ident, node in self.nodes.items() if len(_definitions(node)) > 1]


def _definitions(event: etree._Element) -> list[etree._Element]:
    return _children(event, *_DEFINITIONS)


def _conditional(flow: etree._Element) -> bool:
    return bool(_children(flow, "conditionExpression"))


def _inside(point: tuple[float, float],
            box: tuple[float, float, float, float] | None) -> bool:
    if box is None:
        return False
    x, y, width, height = box
    return x <= point[0] <= x + width and y <= point[1] <= y + height
