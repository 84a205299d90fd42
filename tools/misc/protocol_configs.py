"""Write (or check) the frozen and Cascade siblings of every init's fine-tuning config.

    python tools/misc/protocol_configs.py            # write the missing or outdated ones
    python tools/misc/protocol_configs.py --check    # exit 1 naming those that are missing or differ

See mmvitdet/utils/protocol_configs.py for the structure.
"""
import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from mmvitdet.utils.protocol_configs import sibling_configs  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='change nothing; exit 1 if a sibling is missing or differs')
    args = parser.parse_args(argv)
    stale = []
    for path, text in sibling_configs(os.path.join(REPO, 'configs')).items():
        if os.path.isfile(path) and open(path, encoding='utf-8').read() == text:
            continue
        stale.append(os.path.relpath(path, REPO))
        if not args.check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    verb = 'missing or outdated' if args.check else 'written'
    print(f'{len(stale)} config(s) {verb}' + ''.join(f'\n  {p}' for p in stale))
    return 1 if args.check and stale else 0


if __name__ == '__main__':
    sys.exit(main())
