"""Fetch the official pre-trained files that the init configs name, into MMVITDET_CHECKPOINTS.

    python tools/download_checkpoints.py [--init mae beit ...] [--size b l] [--dir DIR] [--list]

Names and URLs come from the configs (configs/<init>/mask-rcnn_vit-<size>-<init>_*.py: the file in
init_cfg, the URL in the header). A partial download (<file>.part) is resumed; a complete one is
read as the config reads it and its ViT width/depth checked before it is renamed into place.
"""
import argparse
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Fetch the official checkpoints named by the configs')
    parser.add_argument('--timeout', type=float, default=60.0, help='seconds one read may wait (default 60)')
    parser.add_argument('--deadline', type=float, default=6 * 3600.0,
                        help='seconds one file may take in all (default 21600; what arrived stays in .part)')
    parser.add_argument('--min-rate', type=float, default=16 * 1024,
                        help='bytes/s a transfer must average after 30 s (default 16384; 0: no minimum)')
    parser.add_argument('--max-bytes', type=int, default=None,
                        help='refuse a file larger than this (default: six fp32 copies of the ViT the configs '
                        'expect, e.g. 2.1 GB for ViT-B)')
    parser.add_argument('--init', nargs='+', help='inits to fetch, e.g. mae beit (default: all)')
    parser.add_argument('--size', nargs='+', help='ViT sizes to fetch, e.g. b l (default: all)')
    parser.add_argument('--dir', help='target folder (default: $MMVITDET_CHECKPOINTS, else checkpoints/)')
    parser.add_argument('--configs', default=osp.join(REPO, 'configs'), help='config root to read (default: configs/)')
    parser.add_argument('--list', action='store_true', help='only list the files, their state and URLs')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    target = args.dir or os.environ.get('MMVITDET_CHECKPOINTS') or 'checkpoints'
    # the configs name their files under $MMVITDET_CHECKPOINTS: read them with the target folder there
    os.environ['MMVITDET_CHECKPOINTS'] = target

    from mmengine.logging import MMLogger

    from mmvitdet.checkpoints.official_files import official_files, verify_official_file
    from mmvitdet.errors import UserInputError
    from mmvitdet.utils.download import DownloadError, download

    MMLogger.get_current_instance().setLevel('WARNING')  # not a line per config about the env variable
    files = official_files(args.configs)
    for flag, values in (('init', args.init), ('size', args.size)):
        known = sorted({getattr(f, flag) for f in files.values()})
        unknown = sorted(set(values or ()) - set(known))
        if unknown:
            raise UserInputError(f'--{flag} {" ".join(unknown)}: no config of that {flag}; '
                                 f'choose from {" ".join(known)}')
    chosen = [f for f in files.values()
              if (not args.init or f.init in args.init) and (not args.size or f.size in args.size)]
    failed, fetched, present = [], [], []
    for entry in chosen:
        dst = osp.join(target, entry.name)
        why = 'no direct URL (a gated or request-only release)' if '.' in entry.name else 'not one file'
        source = entry.url or f'{why}: get it by hand from {entry.page or "the header of " + entry.configs[0]}'
        if args.list:
            state = 'present' if osp.exists(dst) else ('partial' if osp.exists(dst + '.part') else 'missing')
            print(f'{entry.init:<10} {entry.size:<2} {state:<8} {entry.name}  {source}')
            continue
        if osp.exists(dst):
            print(f'{entry.name}: present in {target}')
            present.append(entry.name)
            continue
        if entry.url is None:
            failed.append(f'{entry.name} ({entry.init} ViT-{entry.size.upper()}): {source} and place it at {dst}')
            continue
        try:
            download(entry.url, dst, verify=lambda part, e=entry: print(f'{e.name}: {verify_official_file(part, e)}'),
                     progress=not args.no_progress, timeout=args.timeout, deadline=args.deadline,
                     min_rate=args.min_rate, max_bytes=args.max_bytes or entry.max_bytes,
                     bound='--max-bytes' if args.max_bytes else f'the most a ViT-{entry.size.upper()} '
                     f'checkpoint can hold (six fp32 copies of width {entry.width}, depth {entry.depth}; --max-bytes)')
        except UserInputError as e:  # a failed transfer, or content that is not the file the configs expect
            kept = next((p for p in (dst + '.invalid', dst + '.part') if osp.exists(p)), None)
            failed.append(f'{entry.name}: {e}' + (f' (kept: {kept})' if kept and kept not in str(e) else '') +
                          f'; download it by hand (from {entry.url}, see {entry.page}) and place it at {dst}')
            print(f'{entry.name}: not fetched, going on with the others', file=sys.stderr)
            continue
        print(f'{entry.name}: saved to {dst}')
        fetched.append(entry.name)
    if args.list:
        return 0
    print(f'\nfetched {len(fetched)}, already present {len(present)}, failed {len(failed)} of {len(chosen)}')
    if failed:
        raise DownloadError(f'{len(failed)} of {len(chosen)} files not fetched: ' + ' | '.join(failed))
    return 0


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)
