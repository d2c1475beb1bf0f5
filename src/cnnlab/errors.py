"""The one exception type a person sees: a single line that says what was wrong and what to do."""

__all__ = ["CnnlabError", "CnnlabWarning"]


class CnnlabError(ValueError):
    """A problem with the user's input, files or settings (not a bug in cnnlab).

    The CLI prints its message as one line and exits with status 2, without a traceback.
    It derives from ValueError, so code written against numpy or scipy (`except ValueError`)
    catches cnnlab's refusals of bad arguments the same way.
    """


class CnnlabWarning(UserWarning):
    """Something a person should know that does not stop the work (files skipped, images resized).

    The CLI prints it as one line on stderr: `cnnlab COMMAND: warning: ...`.
    """
