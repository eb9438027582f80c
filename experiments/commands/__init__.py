"""Commands: the ``safetysim`` command line (``cli``) and its engine commands (sweep, resume, ...)."""
