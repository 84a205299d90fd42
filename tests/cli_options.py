"""``--cfg-options`` strings parsed as tools/train.py parses them, for tests that build a Runner in-process."""
import argparse
from typing import Dict, List

from mmengine.config import DictAction


def parsed(opts: List[str]) -> Dict:
    """``['a.b=1', 'c=x']`` -> ``{'a.b': 1, 'c': 'x'}`` (mmengine's DictAction: numbers, lists, booleans)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *opts]).cfg_options


def shapes_data_options(data_root, num_train: int, num_val: int, img_size: int = 96,
                        in_process_loading: bool = True) -> List[str]:
    """--cfg-options pointing the quickstart config's loaders and evaluators at a generated shapes set under
    ``data_root`` (num_train / num_val images of img_size px); ``in_process_loading``: no data-loader workers."""
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if in_process_loading:
            options += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
        options += [f'{loader}.dataset.data_root={data_root}/', f'{loader}.dataset.generate.num_train={num_train}',
                    f'{loader}.dataset.generate.num_val={num_val}', f'{loader}.dataset.generate.img_size={img_size}']
    return options + [f'{evaluator}.ann_file={data_root}/annotations/instances_val.json'
                      for evaluator in ('val_evaluator', 'test_evaluator')]
