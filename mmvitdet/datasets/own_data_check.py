"""Before any iteration: every image a split lists exists and opens as an image (its header only, no pixels are
decoded), and every annotation refers to a declared image and category. One error lists the count and the first
offenders of each kind, naming the annotation file."""
import itertools
import json
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Tuple

from PIL import Image, UnidentifiedImageError

from .validation import AnnotationFormatError, DataNotFoundError

SHOWN = 5
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


def check_split(ann_file: str, img_dir: str, data: Optional[dict] = None,
                fix: Optional[Tuple[str, str, str]] = None) -> int:
    """Check one split (``data``: ``ann_file`` already loaded, else it is read); returns the images checked.

    ``fix``: (config key of this split, its annotation file and image folder), e.g. ``('own_data.val',
    'valid/_annotations.coco.json', 'valid/')``, for the advice when missing images are found in a subfolder."""
    if data is None:
        with open(ann_file, encoding='utf-8') as f:
            data = json.load(f)
    images = data.get('images') or []
    missing, unreadable = [], []
    for image in images:
        path = osp.join(img_dir, str(image.get('file_name', '')))
        if not osp.isfile(path):
            missing.append(str(image.get('file_name')))
            continue
        try:
            with Image.open(path) as img:  # parses the header; pixels stay on disk
                img.size  # noqa: B018
        except (UnidentifiedImageError, OSError) as e:
            unreadable.append(f'{image.get("file_name")} ({type(e).__name__})')
    image_ids = {image.get('id') for image in images}
    category_ids = {c.get('id') for c in data.get('categories') or []}
    annotations = data.get('annotations') or []
    no_image = [str(a.get('id')) for a in annotations if a.get('image_id') not in image_ids]
    no_category = [str(a.get('id')) for a in annotations if a.get('category_id') not in category_ids]
    problems = []
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
        kind = DataNotFoundError if (missing and not (unreadable or no_image or no_category)) else \
            AnnotationFormatError
        raise kind(f"annotation file '{ann_file}': " + '; '.join(problems) +
                   '. Fix the files (or remove those entries from the json) before training.')
    return len(images)
