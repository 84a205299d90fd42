"""``--cfg-options`` strings parsed as tools/train.py parses them, for tests that build a Runner in-process."""
import argparse
from typing import Dict, List

from mmengine.config import DictAction


def parsed(opts: List[str]) -> Dict:
    """``['a.b=1', 'c=x']`` -> ``{'a.b': 1, 'c': 'x'}`` (mmengine's DictAction: numbers, lists, booleans)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *opts]).cfg_options
