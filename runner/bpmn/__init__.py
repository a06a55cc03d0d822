"""The generic BPMN runner: what would run another procedure unchanged.

Process definitions and their versions, hardened XML, the restricted script engine and its
expression limits, the service-task registry, loading and saving instances with optimistic
locking, the derived rows (open tasks, waiting messages), timers and the clock, migration of
running instances to another version, and the diagram. It names no concept of the procedure it
runs and imports nothing from the rest of ``runner``, which builds the procedure on it
(``tests/test_layers.py`` checks both).
"""
