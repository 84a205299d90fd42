"""Helpers for mmvitdet's command-line tools."""
from .cli_errors import run_cli, user_error_message

__all__ = ['run_cli', 'user_error_message']
