"""Plug-in models used by the engine tests (named in specs as ``tests.plugins.testing_models:NAME``)."""
