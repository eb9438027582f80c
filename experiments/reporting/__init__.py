"""Reporting: how results are shown -- plots, the HTML/Markdown report, comparison outputs."""
