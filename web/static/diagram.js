/*
 * The dossier's diagram drawn by bpmn-js 18.31.1 (NavigatedViewer, web/static/bpmn-js/):
 * the elements the dossier completed and the one it is in are marked, the path between them
 * too, and the current step is centred at a readable zoom. Drag or the arrow keys move the
 * diagram, the mouse wheel with Ctrl, the buttons or the keys + - 0 zoom. Without JavaScript
 * (or when the viewer cannot load) the server-drawn SVG in the same box stays.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-bpmn-url]");
  if (!box || typeof window.BpmnJS !== "function" || !window.fetch) {
    return;
  }
  var done = (box.getAttribute("data-done") || "").split(" ").filter(Boolean);
  var current = (box.getAttribute("data-current") || "").split(" ").filter(Boolean);
  var canvasBox = box.querySelector(".diagram__canvas");
  var viewer = new window.BpmnJS({ container: canvasBox });

  function mark(canvas, registry) {
    var reached = {};
    done.concat(current).forEach(function (id) { reached[id] = true; });
    done.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, "bpmnjs-gedaan"); }
    });
    current.forEach(function (id) {
      if (registry.get(id) && !isContainer(registry.get(id))) {
        canvas.addMarker(id, "bpmnjs-huidig");
      }
    });
    registry.filter(function (element) { return element.waypoints; }).forEach(function (flow) {
      if (flow.source && flow.target && done.indexOf(flow.source.id) >= 0 &&
          reached[flow.target.id]) {
        canvas.addMarker(flow.id, "bpmnjs-pad");
      }
    });
  }

  function isContainer(element) {
    return /SubProcess|Participant|Lane/.test(element.type);
  }

  // The step to centre: a task the dossier waits on, else any waiting event.
  function centred(registry) {
    var shapes = current.map(function (id) { return registry.get(id); })
      .filter(function (element) {
        return element && !element.waypoints && !isContainer(element);
      });
    var tasks = shapes.filter(function (element) { return /Task$/.test(element.type); });
    return tasks[0] || shapes.filter(function (element) {
      return element.type !== "bpmn:BoundaryEvent";
    })[0] || shapes[0];
  }

  function centre(canvas, registry) {
    var target = centred(registry);
    if (!target) {
      canvas.zoom("fit-viewport", "auto");
      return;
    }
    canvas.zoom(1);
    var outer = canvas.viewbox().outer;
    canvas.viewbox({
      x: target.x + target.width / 2 - outer.width / 2,
      y: target.y + target.height / 2 - outer.height / 2,
      width: outer.width,
      height: outer.height
    });
  }

  function zoomBy(canvas, factor) {
    var level = canvas.zoom();
    canvas.zoom(Math.max(0.2, Math.min(4, level * factor)));
  }

  function controls(canvas, registry) {
    var actions = {
      "in": function () { zoomBy(canvas, 1.25); },
      "uit": function () { zoomBy(canvas, 0.8); },
      "passend": function () { canvas.zoom("fit-viewport", "auto"); },
      "huidig": function () { centre(canvas, registry); }
    };
    Array.prototype.forEach.call(box.querySelectorAll("[data-zoom]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", actions[button.getAttribute("data-zoom")]);
    });
    var keys = { "+": "in", "=": "in", "-": "uit", "0": "passend" };
    canvasBox.addEventListener("keydown", function (event) {
      var action = keys[event.key];
      if (action && !event.ctrlKey && !event.metaKey && !event.altKey) {
        actions[action]();
        event.preventDefault();
      }
    });
  }

  fetch(box.getAttribute("data-bpmn-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("diagram " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      box.classList.add("diagram--bpmnjs");
      mark(canvas, registry);
      centre(canvas, registry);
      controls(canvas, registry);
      box.setAttribute("data-ready", "ja");
    })
    .catch(function () {
      box.classList.remove("diagram--bpmnjs");
      box.setAttribute("data-ready", "fout");
    });
}());
