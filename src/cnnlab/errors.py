"""The one exception type a person sees: a single line that says what was wrong and what to do."""

__all__ = ["CnnlabError"]


class CnnlabError(ValueError):
    """A problem with the user's input, files or settings (not a bug in cnnlab).

    The CLI prints its message as one line and exits with status 2, without a traceback.
    It derives from ValueError, so code written against numpy or scipy (`except ValueError`)
    catches cnnlab's refusals of bad arguments the same way.
    """
