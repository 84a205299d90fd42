"""How close a resized patch kernel keeps the tokens: 'pinv' vs 'bilinear', 14 -> 16 by default.

    python tools/analysis/patch_embed_resize_error.py --num-images 8 --img-size 224

Images: the synthetic shapes dataset (generated into --data-root if absent), standardized. For
each kernel (random, and the same smoothed by a 5x5 binomial filter, closer to trained patch
embeddings) the tokens of the p-px kernel on the image are compared with those of the resized
kernel on the image resized by new/p as a whole (bilinear): median relative L2 error per image,
and the mean cosine similarity per token.
"""
import argparse
import glob
import os.path as osp
import statistics

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmvitdet.checkpoints.patch_embed_resize import PATCH_EMBED_RESIZE_METHODS, resize_patch_kernel
from mmvitdet.datasets import generate_shapes_dataset


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--patch', type=int, default=14, help='patch size of the file')
    p.add_argument('--new-patch', type=int, default=16, help='patch size of the model')
    p.add_argument('--num-images', type=int, default=8)
    p.add_argument('--img-size', type=int, default=224, help='multiple of --patch')
    p.add_argument('--width', type=int, default=768, help='kernel output channels')
    p.add_argument('--data-root', default='data/shapes_patch_resize/')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def load_images(root: str, num: int, size: int) -> torch.Tensor:
    """[num, 3, size, size] shapes images, standardized over the batch."""
    ds = generate_shapes_dataset(root, num_train=num, num_val=1, img_size=size, seed=3)
    files = sorted(glob.glob(osp.join(ds.img_dirs['train'], '*')))[:num]
    x = torch.stack([torch.from_numpy(np.asarray(Image.open(f).convert('RGB'), dtype=np.float32))
                     .permute(2, 0, 1) for f in files])
    return (x - x.mean()) / x.std()


def smooth(kernel: torch.Tensor) -> torch.Tensor:
    """Each p x p slice filtered by a 5x5 binomial (reflect padding)."""
    b = torch.tensor([1., 4., 6., 4., 1.])
    b = (b[:, None] * b[None]) / 256
    c_out, c_in, p, _ = kernel.shape
    flat = F.pad(kernel.reshape(-1, 1, p, p), (2, 2, 2, 2), mode='reflect')
    return F.conv2d(flat, b[None, None]).reshape(c_out, c_in, p, p)


def token_error(images, kernel, new: int, method: str):
    """(median relative L2 error per image, mean cosine per token) of the resized kernel."""
    p = kernel.shape[-1]
    size = images.shape[-1] // p * new
    ref = F.conv2d(images, kernel, stride=p)
    resized = F.interpolate(images, size=(size, size), mode='bilinear', align_corners=False)
    got = F.conv2d(resized, resize_patch_kernel(kernel, new, method), stride=new)
    err = (got - ref).flatten(1).norm(dim=1) / ref.flatten(1).norm(dim=1)
    cos = F.cosine_similarity(got.flatten(2), ref.flatten(2), dim=1).mean()
    return statistics.median(err.tolist()), cos.item()


def main(argv=None):
    args = parse_args(argv)
    if args.img_size % args.patch:
        raise SystemExit(f'--img-size {args.img_size} is not a multiple of --patch {args.patch}')
    images = load_images(args.data_root, args.num_images, args.img_size)
    kernel = torch.randn(args.width, 3, args.patch, args.patch,
                         generator=torch.Generator().manual_seed(args.seed))
    print(f'{args.num_images} shapes images of {args.img_size} px, kernel {args.patch} -> {args.new_patch}: '
          'median relative token error (mean cosine)')
    print('| kernel | ' + ' | '.join(f"'{m}'" for m in PATCH_EMBED_RESIZE_METHODS) + ' |')
    print('|---' * (1 + len(PATCH_EMBED_RESIZE_METHODS)) + '|')
    for name, w in (('random', kernel), ('random, 5x5 binomial smoothed', smooth(kernel))):
        cells = [token_error(images, w, args.new_patch, m) for m in PATCH_EMBED_RESIZE_METHODS]
        print(f'| {name} | ' + ' | '.join(f'{e:.3f} ({c:.4f})' for e, c in cells) + ' |')


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # input errors: one line, status 2
