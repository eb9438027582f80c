"""Experiments: specs, designs, executors, result storage, statistics, plots, reports and the CLI.

Everything about running many models lives here; ``simulation`` knows nothing of it.
"""
