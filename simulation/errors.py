"""The one error type users see: bad input, reported as one line and exit status 2."""


class InputError(ValueError):
    """Bad user input (config, spec, file, path).

    The message is a single line naming the field path, the bad value and what is allowed,
    e.g. ``levers.incentives.scheme: 'bonus' is not allowed; expected one of none, top_bonus``.
    The CLI prints it as ``error: <message>`` and exits with status 2, without a traceback.
    """
