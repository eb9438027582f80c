"""Clients: the project's specs handed to other experiment frameworks (EMA Workbench)."""
