"""Before any iteration: every image a split lists lies inside its image folder, exists, opens as an image (its
header only, or, with ``own_data.check='decode'``, decoded as training decodes it) and declares no more pixels than
``own_data.max_pixels``; every annotation refers to a declared image and category. One error lists the count and
the first offenders of each kind, naming the annotation file."""
import itertools
import json
import os
import os.path as osp
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple

from PIL import Image, UnidentifiedImageError

from .validation import AnnotationFormatError, DataNotFoundError

SHOWN = 5
# PIL's own bound (Image.MAX_IMAGE_PIXELS, ~89 MP; it refuses twice that as a decompression bomb): an image whose
# header declares more is refused by name before any decoder allocates for it. own_data.max_pixels changes it.
DEFAULT_MAX_PIXELS = 89_478_485
CHECKS = ('header', 'decode')
MAX_FILES_SEARCHED = 200_000  # bound on the walk that looks for missing images in subfolders


def _first(items: List[str]) -> str:
    return ', '.join(items[:SHOWN]) + (', ...' if len(items) > SHOWN else '')


def found_in_subfolders(img_dir: str, names: List[str]) -> Dict[str, int]:
    """{subfolder of ``img_dir`` (relative, with '/'): how many of the file ``names`` it holds}, most first."""
    wanted = {osp.basename(n) for n in names}
    where: Counter = Counter()
    seen = 0
    for folder, _, files in itertools.islice(os.walk(img_dir), 1, None):  # top-down: img_dir itself comes first
        hits = wanted.intersection(files)
        if hits:
            where[osp.relpath(folder, img_dir).replace(os.sep, '/') + '/'] += len(hits)
        seen += len(files)
        if seen > MAX_FILES_SEARCHED:
            break
    return dict(where.most_common())


def _missing_message(missing: List[str], images: list, img_dir: str, fix: Optional[Tuple[str, str, str]]) -> str:
    text = f'{len(missing)} of its {len(images)} images are not in {img_dir} ({_first(missing)})'
    elsewhere = found_in_subfolders(img_dir, missing)
    if elsewhere:
        sub, count = next(iter(elsewhere.items()))
        whole = (f'set --cfg-options {fix[0]}.ann_file={fix[1]} {fix[0]}.img={osp.join(fix[2], sub)}' if fix else
                 f'point the image folder at {osp.join(img_dir, sub)}')
        text += (f'; {sum(elsewhere.values())} of them were found in subfolders: {count} in '
                 f'{osp.join(img_dir, sub)}' + (f' (others in {list(elsewhere)[1:4]})' if len(elsewhere) > 1 else '')
                 + f'. Move them into {img_dir}, or, when the whole split lies there, {whole}')
    return text


def escapes_lexically(file_name: str) -> Optional[str]:
    """Why ``file_name`` leads out of any folder it is joined to by its text alone (absolute, ``..``), else None."""
    if osp.isabs(file_name) or file_name.startswith('~'):
        return 'an absolute path'
    if '..' in file_name.replace('\\', '/').split('/'):
        return "'..' in the path"
    return None


def escapes(file_name: str, img_dir: str) -> Optional[str]:
    """Why ``file_name`` leads outside ``img_dir`` (absolute, ``..``, a link out of it), else None."""
    why = escapes_lexically(file_name)
    if why:
        return why
    root = osp.realpath(img_dir)
    if osp.commonpath([root, osp.realpath(osp.join(img_dir, file_name))]) != root:
        return 'a link to a file outside the image folder'
    return None


def header_size(path: str) -> Tuple[int, int]:
    """(width, height) from the image's header, whatever its size (PIL's bomb check is ours to make here)."""
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as img:  # parses the header; pixels stay on disk
            return img.size
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def decode_problem(path: str) -> Optional[str]:
    """None if the image decodes as training decodes it (mmcv, OpenCV), else why not."""
    import mmcv
    try:
        with open(path, 'rb') as f:
            img = mmcv.imfrombytes(f.read(), flag='color', backend='cv2')
    except Exception as e:  # decoders raise various types for corrupt data
        return f'{type(e).__name__}: {e}'
    return None if img is not None else 'OpenCV cannot decode it (corrupt or truncated)'


def _decode_all(paths: List[str]) -> List[Tuple[str, str]]:
    """(path, problem) of the images that do not decode; OpenCV releases the GIL, so threads run in parallel."""
    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool:
        return [(p, why) for p, why in zip(paths, pool.map(decode_problem, paths)) if why]


def check_split(ann_file: str, img_dir: str, data: Optional[dict] = None,
                fix: Optional[Tuple[str, str, str]] = None, check: str = 'header',
                max_pixels: Optional[int] = DEFAULT_MAX_PIXELS) -> int:
    """Check one split (``data``: ``ann_file`` already loaded, else it is read); returns the images checked.

    ``fix``: (config key of this split, its annotation file and image folder), e.g. ``('own_data.val',
    'valid/_annotations.coco.json', 'valid/')``, for the advice when missing images are found in a subfolder.
    ``check``: 'header' (open each image's header) or 'decode' (decode every image, as training will).
    ``max_pixels``: refuse images whose header declares more pixels (None: no bound)."""
    if check not in CHECKS:
        raise AnnotationFormatError(f"own_data.check={check!r}: use one of {CHECKS} ('decode' reads every image)")
    if data is None:
        with open(ann_file, encoding='utf-8') as f:
            data = json.load(f)
    images = data.get('images') or []
    missing, unreadable, outside, too_large, present = [], [], [], [], []
    for image in images:
        name = str(image.get('file_name', ''))
        why = escapes(name, img_dir)
        if why:
            outside.append(f'{name} ({why})')
            continue
        path = osp.join(img_dir, name)
        if not osp.isfile(path):
            missing.append(name)
            continue
        try:
            width, height = header_size(path)
        except (UnidentifiedImageError, OSError) as e:
            unreadable.append(f'{name} ({type(e).__name__})')
            continue
        if max_pixels is not None and width * height > max_pixels:
            too_large.append(f'{name} ({width} x {height})')
            continue
        present.append(path)
    if check == 'decode':
        unreadable += [f'{osp.relpath(p, img_dir)} ({why})' for p, why in _decode_all(present)]
    image_ids = {image.get('id') for image in images}
    category_ids = {c.get('id') for c in data.get('categories') or []}
    annotations = data.get('annotations') or []
    no_image = [str(a.get('id')) for a in annotations if a.get('image_id') not in image_ids]
    no_category = [str(a.get('id')) for a in annotations if a.get('category_id') not in category_ids]
    problems = []
    if outside:
        problems.append(f'{len(outside)} images lie outside the image folder {img_dir} ({_first(outside)}): '
                        'file_name must be a path inside it')
    if too_large:
        problems.append(f'{len(too_large)} images declare more than own_data.max_pixels={max_pixels} pixels '
                        f'({_first(too_large)}): shrink them, or raise own_data.max_pixels if they are genuine')
    if missing:
        problems.append(_missing_message(missing, images, img_dir, fix))
    if unreadable:
        problems.append(f'{len(unreadable)} images do not open as images ({_first(unreadable)})')
    if no_image:
        problems.append(f'{len(no_image)} annotations refer to an image id the file does not declare '
                        f'(annotation ids {_first(no_image)})')
    if no_category:
        problems.append(f'{len(no_category)} annotations refer to an undeclared category '
                        f'(annotation ids {_first(no_category)})')
    if problems:
        kind = DataNotFoundError if (missing and not (unreadable or no_image or no_category or outside or too_large)) \
            else AnnotationFormatError
        raise kind(f"annotation file '{ann_file}': " + '; '.join(problems) +
                   '. Fix the files (or remove those entries from the json) before training.')
    return len(images)
