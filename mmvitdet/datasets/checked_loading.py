"""``CheckedLoadImageFromFile``: image loading whose errors name the image and the fix.

mmcv's LoadImageFromFile raises a bare ``FileNotFoundError`` for a missing image, an OpenCV
assertion without the path for an empty file, and an ``assert`` (gone under ``python -O``) for an
undecodable one.
"""
import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmdet.registry import TRANSFORMS

from ..errors import UserInputError
from .validation import DataNotFoundError


class ImageReadError(UserInputError, OSError):
    """An image file exists but cannot be decoded."""


@TRANSFORMS.register_module()
class CheckedLoadImageFromFile(LoadImageFromFile):
    """LoadImageFromFile with clear errors; same arguments and outputs (``img``, ``img_shape``,
    ``ori_shape``). With ``ignore_empty=True`` unreadable images return None as in mmcv (the
    dataset then samples another image)."""

    def _read_bytes(self, filename: str) -> bytes:
        if self.file_client_args is not None:
            client = fileio.FileClient.infer_client(self.file_client_args, filename)
            return client.get(filename)
        return fileio.get(filename, backend_args=self.backend_args)

    def transform(self, results: dict):
        filename = results['img_path']
        try:
            img_bytes = self._read_bytes(filename)
        except FileNotFoundError as e:
            if self.ignore_empty:
                return None
            raise DataNotFoundError(
                f"image '{filename}' not found: check data_root/data_prefix of the dataset, or "
                'restore the file (set ignore_empty=True in this transform to skip missing '
                'images while training)') from e
        error = None
        try:
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as e:  # decoders raise various types for corrupt data
            img, error = None, e
        if img is None:
            if self.ignore_empty:
                return None
            cause = f' ({str(error).strip()})' if error else ''
            raise ImageReadError(
                f"image '{filename}' ({len(img_bytes)} bytes) cannot be decoded by "
                f"'{self.imdecode_backend}'{cause}: the file is "
                'corrupt, truncated or not an image; replace it (re-download / regenerate) or set '
                'ignore_empty=True in this transform to skip it while training') from error
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
