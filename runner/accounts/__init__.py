"""Staff accounts: users, roles, passwords, API tokens, the login check and the web sessions."""
