"""The process designer's tools: the lint of ``processes/``, the model run behind it, and moving
running dossiers to another version."""
