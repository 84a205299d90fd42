"""Convert an official ViT checkpoint to an mmvitdet-format file, with a load report.

    python tools/model_converters/convert_vit.py mae_pretrain_vit_base.pth \
        checkpoints/mae_vit-b_mmvitdet.pth --rel-pos shared
    python tools/model_converters/convert_vit.py beit_base_patch16_224_pt1k.pth \
        checkpoints/beit_vit-b_mmvitdet.pth --config configs/<the detector config>.py
    python tools/model_converters/convert_vit.py models/dinov2-base \
        checkpoints/dinov2_vit-b14_mmvitdet.pth          # a Hugging Face model folder

The backbone is taken from --config (model.backbone) or from the flags; arch,
layer scale, qkv-bias style, patch size and bias, pre-norm and pre-training
size default to what the checkpoint holds, LayerNorm eps and activation to
what a model folder's config.json states. Training
with init_cfg=dict(type='Pretrained', checkpoint=<the official file>) converts
at load and needs no converted file; this tool is for inspecting a release or
shipping a converted one.
"""
import argparse
import sys

from mmengine.config import Config

import mmvitdet  # noqa: F401  (registers the ViT)
from mmvitdet.checkpoints import FORMATS, RESIZE_METHODS, CheckpointError
from mmvitdet.checkpoints.patch_embed_resize import PATCH_EMBED_RESIZE_METHODS
from mmvitdet.checkpoints.export import export_mmvitdet
from mmvitdet.engine import CheckpointLoadError

ARCH_FLAGS = ('arch', 'img_size', 'pretrain_img_size', 'patch_size',
              'window_size', 'rel_pos')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src', help='official checkpoint: a file (.pth/.pt/.bin/'
                   '.safetensors), a Hugging Face model folder or a URL')
    p.add_argument('dst', help='output file (mmvitdet format)')
    p.add_argument('--format', default='auto',
                   choices=['auto', *FORMATS], help='source layout')
    p.add_argument('--config', help='take the backbone from this config '
                   '(model.backbone) instead of the flags below')
    p.add_argument('--arch', help="'auto' (from width/depth, default), "
                   "'base', 'large' or 'huge'")
    p.add_argument('--img-size', type=int, dest='img_size',
                   help='fine-tuning input size in px (default 1024)')
    p.add_argument('--pretrain-img-size', type=int, dest='pretrain_img_size',
                   help='pre-training size in px (default: the file\'s '
                   'square position grid x patch size, else 224)')
    p.add_argument('--patch-size', type=int, dest='patch_size')
    p.add_argument('--window-size', type=int, dest='window_size',
                   help='attention window in tokens (default 14)')
    p.add_argument('--rel-pos', dest='rel_pos',
                   choices=['shared', 'per_block', 'decomposed', 'none'],
                   help="relative position (default 'decomposed' for a file with decomposed tables (SAM), "
                   "else 'shared', the paper's)")
    p.add_argument('--rel-pos-resize', default='geometric',
                   choices=RESIZE_METHODS, dest='rel_pos_resize')
    p.add_argument('--patch-embed-resize', dest='patch_embed_resize',
                   choices=PATCH_EMBED_RESIZE_METHODS,
                   help='resize the patch kernel to --patch-size (e.g. 14 -> '
                   "16); default: the --config's init_cfg, else none")
    p.add_argument('--discard', nargs='+', default=[], metavar='KEY_PREFIX',
                   help='source keys to drop on purpose')
    p.add_argument('--force', action='store_true',
                   help='overwrite DST if it exists')
    return p.parse_args(argv)


def vit_cfg_from_args(args) -> dict:
    given = [f for f in ARCH_FLAGS if getattr(args, f) is not None]
    if args.config:
        if given:
            raise SystemExit(f'error: --config takes the whole backbone; '
                             f'drop --{given[0].replace("_", "-")}.')
        backbone = dict(Config.fromfile(args.config).model.backbone)
        if backbone.get('type') not in ('ViT', 'mmvitdet.ViT'):
            raise SystemExit(f'error: {args.config}: model.backbone.type is '
                             f"{backbone.get('type')!r}, not 'ViT'.")
        return backbone
    cfg = dict(arch=args.arch or 'auto')
    if args.rel_pos is not None:
        cfg['use_rel_pos_bias'] = {'none': False}.get(args.rel_pos, args.rel_pos)
    for flag in ('img_size', 'pretrain_img_size', 'patch_size',
                 'window_size'):
        if getattr(args, flag) is not None:
            cfg[flag] = getattr(args, flag)
    return cfg


def patch_embed_resize_from(args, vit_cfg: dict):
    """--patch-embed-resize, else the --config's init_cfg key, else None."""
    if args.patch_embed_resize is not None:
        return args.patch_embed_resize
    init_cfg = vit_cfg.get('init_cfg')
    return init_cfg.get('patch_embed_resize') if isinstance(init_cfg, dict) else None


def main(argv=None) -> int:
    args = parse_args(argv)
    vit_cfg = vit_cfg_from_args(args)
    try:
        report = export_mmvitdet(args.src, args.dst, vit_cfg, args.format,
                                 args.rel_pos_resize, args.discard, args.force,
                                 patch_embed_resize_from(args, vit_cfg))
    except (CheckpointError, CheckpointLoadError, FileExistsError,
            FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2  # the exit status of mmvitdet's input errors (mmvitdet.utils.cli_errors)
    print(report.to_text())
    print(f'wrote {args.dst}')
    return 0


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # input errors raised outside the export (e.g. reading --config): one line, status 2
