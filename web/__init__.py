"""The Flask application (mediator and complainant pages); built in later issues."""
