"""The complaint procedure, built on the generic BPMN runner in :mod:`runner.bpmn`: its
operators, notices, outbox, letters, desks (inbox, dossier page, register, reports),
privacy, lint and model run, and the CLI.

``runner.bpmn`` imports nothing from here; ``runner`` never imports ``web``; the web app
calls :class:`runner.service.Klachten` and the desks.
"""
