"""The complaint procedure's definition: the layout of ``processes/``, its labels and the texts
that state a rule's value."""
