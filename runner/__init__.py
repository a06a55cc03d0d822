"""The engine around SpiffWorkflow: definitions, store, instances, operators, clock, timers, CLI.

``runner`` never imports ``web``; the web app calls :class:`runner.service.Klachten`.
"""
