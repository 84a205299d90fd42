"""Generate the synthetic COCO-format shapes dataset.

    python tools/generate_shapes.py data/shapes --num-train 200 --num-val 50 --img-size 192 --seed 0
"""
import argparse
import dataclasses
import sys
import time

from mmvitdet.datasets.coco_masks import MASK_FORMATS
from mmvitdet.datasets.shapes import (ShapesDatasetError, ShapesParams, ensure_shapes_dataset,
                                      generate_shapes_dataset)
from mmvitdet.datasets.shapes_draw import SHAPES

CHOICES = dict(classes=sorted(SHAPES), mask_format=MASK_FORMATS, image_format=('png', 'jpg'))


def parse_args(argv=None):
    defaults = ShapesParams()
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('root', help='output folder, e.g. data/shapes')
    for f in dataclasses.fields(ShapesParams):
        flag = '--' + f.name.replace('_', '-')
        default = getattr(defaults, f.name)
        if f.name == 'classes':
            parser.add_argument(flag, nargs='+', default=list(default), choices=CHOICES[f.name],
                                help=f'shape classes (default: {" ".join(default)})')
        else:
            parser.add_argument(flag, type=type(default), default=default,
                                choices=CHOICES.get(f.name), help=f'(default: {default})')
    parser.add_argument('--overwrite', action='store_true',
                        help="replace the dataset's files if ROOT already holds one (without it, "
                             'an identical dataset is reused and a different one is an error)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = vars(parse_args(argv))
    root, overwrite = args.pop('root'), args.pop('overwrite')
    start = time.perf_counter()
    try:
        if overwrite:
            paths = generate_shapes_dataset(root, overwrite=True, **args)
        else:
            paths = ensure_shapes_dataset(root, **args)
    except (ShapesDatasetError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(f'shapes dataset ready in {time.perf_counter() - start:.1f} s: {paths.root}')
    for split in paths.ann_files:
        print(f'  {split}: ann_file={paths.ann_files[split]} images={paths.img_dirs[split]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
