"""See the package docstring of mmvitdet."""
