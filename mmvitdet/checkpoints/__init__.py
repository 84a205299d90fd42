"""Official ViT checkpoints converted at load time with the paper's position
standardization: timm/DeiT (and timm hub files), MAE, MoCo v3, BEiT, DINO,
iBOT, DINOv2, CLIP (OpenAI / OpenCLIP), SAM, DINOv3, EVA-02, PE-Core, AIMv2,
Hugging Face ViT / ViTMAE / DINOv2 / CLIP / SigLIP / DINOv3 / AIMv2,
mmpretrain, mmvitdet; read from .pth/.pt/.bin, .safetensors,
TorchScript archives, model folders or URLs (file_formats.py)."""
from .converted import ConvertedCheckpoint, RelTable
from .detect import FORMATS, detect_format, unwrap_state_dict
from .errors import CheckpointError
from .load import (load_pretrained, pretrained_init_cfg, read_checkpoint)
from .rel_pos_resize import RESIZE_METHODS, resize_rel_pos_table
from .report import LoadReport
from .standardize import standardize

__all__ = [
    'CheckpointError', 'ConvertedCheckpoint', 'FORMATS', 'LoadReport',
    'RESIZE_METHODS', 'RelTable', 'detect_format', 'load_pretrained',
    'pretrained_init_cfg', 'read_checkpoint', 'resize_rel_pos_table',
    'standardize', 'unwrap_state_dict'
]
