"""Deadlines the Belgian way: the calendar and the counting, how a deadline is shown, and calendar
days typed by people."""
