"""The one exception type whose message is shown to users as a single line."""


class RtsegError(Exception):
    """A problem the user can fix (bad model, source, URL or flag); its message is one line."""


EXIT_FAILURE = 1  # a run that failed part-way (its outputs keep what was produced)
