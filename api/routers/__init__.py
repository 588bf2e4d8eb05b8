"""Thin routers: parse, authorise, call a repository or a workflow, answer. No SQL, no rules here."""
