"""One-line errors for the command-line tools.

    if __name__ == '__main__':
        run_cli(main)

An :class:`mmvitdet.errors.UserInputError` (checkpoint, data, config) ends the program with
``error: <message>`` on stderr and exit status 2, the status argparse uses for bad arguments. Its
traceback goes to the log file of mmengine's current logger (a Runner's
``<work_dir>/<timestamp>/<timestamp>.log``), or to stderr when ``--debug`` is on the command line.
Any other exception keeps Python's traceback.
"""
import logging
import sys
import traceback
import warnings
from typing import Callable, List, Optional

from ..errors import UserInputError

EXIT_USER_ERROR = 2
DEBUG_FLAG = '--debug'


def _original_message(exc: BaseException) -> str:
    """The message as first raised. Registries re-raise as ``type(e)(f'{context}: {e}')`` (mmcv
    1.x's build_from_cfg; mmengine 0.10 does not wrap), and torch re-raises a DataLoader worker's
    exception as the same type with the message 'Caught X in DataLoader worker process N.\\n
    Original Traceback ...\\npkg.X: message'."""
    while isinstance(exc.__context__, type(exc)) and str(exc).endswith(str(exc.__context__)):
        exc = exc.__context__
    message = str(exc)
    if message.startswith('Caught ') and 'Original Traceback' in message:
        name = f'{type(exc).__module__}.{type(exc).__qualname__}: '
        if name in message:
            message = message.rsplit(name, 1)[1]
    return ' '.join(message.split())


def user_error_message(exc: BaseException) -> Optional[str]:
    """The one-line message of ``exc`` if it is an mmvitdet user error, else None."""
    if not isinstance(exc, UserInputError):
        return None
    return _original_message(exc)


def _log_traceback(exc: BaseException) -> List[str]:
    """Write ``exc``'s traceback to the file handlers of mmengine's current logger; their paths."""
    from mmengine.logging import MMLogger
    if not MMLogger._instance_dict:  # no Runner/logger was set up: nothing to write to
        return []
    logger = MMLogger.get_current_instance()
    text = 'stopped by this error:\n' + ''.join(traceback.format_exception(exc)).rstrip()
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, text, None, None)
    paths = []
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
            handler.flush()
            paths.append(handler.baseFilename)
    return paths


def run_cli(main: Callable[[], Optional[int]], argv: Optional[List[str]] = None) -> None:
    """Run a tool's ``main()`` (which parses ``sys.argv``) and exit with its status.

    ``--debug`` is taken out of the arguments before ``main`` sees them; with it, user errors
    keep their traceback too.
    """
    # mmengine's is_installed() imports (and reloads) pkg_resources, which setuptools >= 80.9 answers
    # with a 2-line deprecation warning each time: noise on stderr that is not the tool's to fix.
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API', category=UserWarning)
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = DEBUG_FLAG in argv
    sys.argv[1:] = [a for a in argv if a != DEBUG_FLAG]
    try:
        status = main()
    except UserInputError as exc:
        if debug:
            raise
        logs = _log_traceback(exc)
        where = f' (traceback in {logs[0]})' if logs else ''
        print(f'error: {user_error_message(exc)}{where}', file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)
    sys.exit(status)
