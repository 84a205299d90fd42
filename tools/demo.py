"""Draw a detector's boxes, masks, class names and scores on images, with mmdet's DetInferencer.

    python tools/demo.py IMAGE_OR_FOLDER CONFIG CHECKPOINT [--out-dir DIR] [--score-thr 0.5]
                         [--device cpu|cuda] [--allow-partial]

Writes one PNG per image, named after the image, to --out-dir (default outputs/demo) and prints
what was found. Class names come from the checkpoint (saved by training), else from the config. The checkpoint must
fit the config's model (as in tools/test.py): a mismatch is one ``error:`` line, exit status 2.
"""
import argparse
import os
import os.path as osp

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Draw detections on images (PNG files)')
    parser.add_argument('inputs', help='an image file or a folder of images')
    parser.add_argument('config', help='the detector config')
    parser.add_argument('checkpoint', help='a checkpoint of that detector (e.g. work_dirs/<run>/epoch_10.pth)')
    parser.add_argument('--out-dir', default='outputs/demo', help='where the PNGs go (default: outputs/demo)')
    parser.add_argument('--score-thr', type=float, default=0.5, help='draw detections scoring above this (default 0.5)')
    parser.add_argument('--device', default=None, help='cpu, cuda, cuda:1 ... (default: cuda when available)')
    parser.add_argument('--allow-partial', action='store_true',
                        help='draw with a checkpoint that does not fit the model; what it lacks stays random (logged)')
    return parser.parse_args(argv)


def list_images(inputs: str):
    """The image files named by ``inputs`` (a file, or a folder's images sorted by name)."""
    from mmvitdet.errors import UserInputError
    if osp.isfile(inputs):
        return [inputs]
    if osp.isdir(inputs):
        images = sorted(osp.join(inputs, n) for n in os.listdir(inputs) if n.lower().endswith(IMAGE_SUFFIXES))
        if not images:
            raise UserInputError(f"folder '{inputs}' holds no image ({', '.join(IMAGE_SUFFIXES)} files)")
        return images
    raise UserInputError(f"'{inputs}' is neither an image file nor a folder: give the path of an image or a "
                         'folder of images')


def inference_config(config: str):
    """``config`` loaded, its test pipeline starting with the loader DetInferencer replaces.

    Configs saved in work dirs before mmvitdet's pipelines used mmdet's LoadImageFromFile name
    CheckedLoadImageFromFile there, which DetInferencer does not find.
    """
    from mmengine.config import Config

    from mmvitdet.datasets.own_data import apply_own_data
    from mmvitdet.errors import ConfigNotFoundError
    if not osp.isfile(config):
        raise ConfigNotFoundError(f'config file {config} does not exist (give the .py config the checkpoint was '
                                  'trained with, e.g. configs/quickstart/...)')
    cfg = Config.fromfile(config)
    apply_own_data(cfg)  # a config for an own COCO-format set: its class names and num_classes
    for transform in cfg.test_dataloader.dataset.pipeline:
        if transform.get('type') == 'CheckedLoadImageFromFile':
            transform['type'] = 'LoadImageFromFile'
    # DetInferencer writes the pictures itself; a LocalVisBackend without save_dir would only warn
    cfg.visualizer.vis_backends = []
    return cfg


def describe(prediction, classes, score_thr: float) -> str:
    """'3 detections: circle 0.98, square 0.91, ...' for one image's prediction dict."""
    found = [(classes[label] if classes else str(label), score)
             for label, score in zip(prediction['labels'], prediction['scores']) if score > score_thr]
    shown = ', '.join(f'{name} {score:.2f}' for name, score in found[:8])
    more = ', ...' if len(found) > 8 else ''
    return f'{len(found)} detection{"" if len(found) == 1 else "s"}' + (f': {shown}{more}' if found else '')


def main(argv=None) -> int:
    args = parse_args(argv)
    images = list_images(args.inputs)

    import mmcv
    import torch
    from mmdet.apis import DetInferencer

    import mmvitdet  # noqa: F401  registration, safe checkpoint loading
    from mmvitdet.engine.checkpoint_loading import not_a_file_error
    from mmvitdet.engine.detector_checkpoint import load_detector_checkpoint
    if not osp.isfile(args.checkpoint):
        raise not_a_file_error(args.checkpoint, 'train one first, e.g. python tools/train.py CONFIG, then use '
                               'work_dirs/<config name>/epoch_N.pth')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    inferencer = DetInferencer(model=inference_config(args.config), weights=args.checkpoint, device=device,
                               show_progress=False)
    load_detector_checkpoint(inferencer.model, args.checkpoint, allow_partial=args.allow_partial)  # strict
    classes = inferencer.model.dataset_meta.get('classes')
    os.makedirs(args.out_dir, exist_ok=True)
    for image in images:
        result = inferencer(image, return_vis=True, no_save_vis=True, pred_score_thr=args.score_thr)
        out_file = osp.join(args.out_dir, osp.splitext(osp.basename(image))[0] + '.png')
        mmcv.imwrite(result['visualization'][0][..., ::-1], out_file)  # the visualizer draws in RGB
        print(f'{out_file}: {describe(result["predictions"][0], classes, args.score_thr)}')
    return 0


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)
