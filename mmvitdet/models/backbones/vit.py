"""Plain ViT backbone for detection (Li et al. 2021, "Architecture").

Window attention in most blocks, global attention in a few (by default the
last block of each quarter), abs position embeddings resized to the input
grid, optional BEiT-style relative position biases, and four stride-16 taps
for a multi-scale neck. Block options cover the 2025-26 releases: RoPE
(DINOv3, EVA-02, PE), SwiGLU (DINOv3 H+, EVA-02, AIMv2), RMSNorm (AIMv2).
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.utils import to_2tuple
from mmpretrain.models.utils import resize_pos_embed
from torch.utils.checkpoint import checkpoint

from mmdet.registry import MODELS
from ...checkpoints.load import load_pretrained, pretrained_init_cfg
from ..layers import DecomposedRelPos, PatchEmbed, RelativePositionBias, TransformerBlock
from ..layers.norm import build_norm, reset_norm
from ..layers.rope import RotaryEmbedding2D, check_rope_cfg
from ..layers.window import window_partition

ARCH_SETTINGS: Dict[str, dict] = {
    # ViT-B/L/H of Dosovitskiy et al.; B and L are the paper's two sizes.
    'base': dict(embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4),
    'large': dict(embed_dims=1024, num_layers=24, num_heads=16, mlp_ratio=4),
    'huge': dict(embed_dims=1280, num_layers=32, num_heads=16, mlp_ratio=4),
}
REL_POS_MODES = (False, 'shared', 'per_block', 'decomposed')


def default_quarter_indices(num_layers: int) -> Tuple[int, ...]:
    """The last block of each quarter: (2, 5, 8, 11) for 12 blocks."""
    return tuple(sorted({max((q * num_layers) // 4 - 1, 0) for q in range(1, 5)}))


def _resolve_arch(arch: Union[str, dict]) -> dict:
    if isinstance(arch, str):
        if arch not in ARCH_SETTINGS:
            raise ValueError(f'ViT arch={arch!r} is unknown: choose one of '
                             f'{sorted(ARCH_SETTINGS)} or pass a dict with '
                             'embed_dims, num_layers, num_heads and mlp_ratio '
                             'or feedforward_channels.')
        return dict(ARCH_SETTINGS[arch], feedforward_channels=None)
    required = {'embed_dims', 'num_layers', 'num_heads'}
    allowed = required | {'mlp_ratio', 'feedforward_channels'}
    missing, unknown = required - set(arch), set(arch) - allowed
    if missing or unknown:
        raise ValueError(f'ViT arch dict {dict(arch)}: missing {sorted(missing)}, unknown {sorted(unknown)}; it '
                         f'needs {sorted(required)} and optionally mlp_ratio or feedforward_channels '
                         '(the FFN hidden width, mmpretrain\'s key).')
    if 'mlp_ratio' in arch and arch.get('feedforward_channels') is not None:
        raise ValueError(f'ViT arch dict {dict(arch)}: give mlp_ratio or feedforward_channels, not both.')
    return {'mlp_ratio': 4, 'feedforward_channels': None, **arch}


def _check_indices(name: str, indices: Sequence[int], num_layers: int,
                   must_be_sorted: bool) -> Tuple[int, ...]:
    indices = tuple(int(i) for i in indices)
    bad = [i for i in indices if not 0 <= i < num_layers]
    if bad:
        raise ValueError(f'ViT {name}={indices}: {bad} out of range for '
                         f'{num_layers} blocks (valid: 0..{num_layers - 1}).')
    if len(set(indices)) != len(indices):
        raise ValueError(f'ViT {name}={indices} has duplicates.')
    if must_be_sorted and list(indices) != sorted(indices):
        raise ValueError(f'ViT {name}={indices} must be sorted ascending '
                         '(outputs are returned in depth order).')
    return indices


@MODELS.register_module()
class ViT(BaseModule):
    """Plain ViT with window + global attention, for Mask R-CNN.

    Args:
        arch: 'base' | 'large' | 'huge', or a dict(embed_dims, num_layers,
            num_heads, and mlp_ratio or feedforward_channels: the FFN hidden
            width, as mmpretrain names it; SwiGLU widths are not a ratio).
        img_size: fine-tuning input size in pixels (int or (H, W)); sets the
            grid of the global-attention relative position table. Default
            1024, the paper's LSJ input.
        patch_size: patch side in pixels (16).
        in_channels: image channels (3).
        pretrain_img_size: pre-training input size; the abs position
            embedding is stored on its grid (224 -> 14x14) and resized to the
            input grid at every forward.
        window_size: attention window side in tokens (14, the pre-training
            grid); 0 makes every block global.
        global_attn_indices: blocks with global attention. Default: the last
            block of each quarter, (2, 5, 8, 11) for ViT-B, (5, 11, 17, 23)
            for ViT-L (paper: "placed evenly at each d/4th block").
        out_indices: blocks whose outputs are returned (sorted). Default: the
            same four depths d/4, 2d/4, 3d/4, d.
        use_abs_pos_embed: learnable abs position embedding (paper: all inits).
        use_rel_pos_bias: False, 'shared' (one table for all window blocks
            and one for all global blocks, the paper's choice), 'per_block'
            (a full 2-D table per block) or 'decomposed' (ViTDet / SAM: per
            block, tables of row and column offsets over its window or the
            whole grid, see ``layers.decomposed_rel_pos``).
        rel_pos_zero_init: zero-init the relative tables (paper: non-BEiT;
            ViTDet); else BEiT's init (full tables) or trunc-normal(0.02)
            (decomposed, as detectron2).
        qkv_bias: True, False or 'qv' (BEiT: q and v biases, zero k bias).
        layer_scale_init_value: None, or BEiT's gamma initial value.
        drop_path_rate: stochastic depth, increasing linearly over depth.
        norm_eps: LayerNorm epsilon (1e-6 as in pre-training).
        pre_norm: a LayerNorm (``norm_pre``) after patch + position embedding,
            before the first block (CLIP's ``ln_pre``).
        patch_bias: the patch projection has a bias (CLIP's has none).
        act_cfg: MLP activation: dict(type='GELU') (exact, the default),
            dict(type='GELU', approximate='tanh') (SigLIP) or
            dict(type='QuickGELU') (OpenAI CLIP, x * sigmoid(1.702 x)).
        norm_type: 'layer_norm' or 'rms_norm' (AIMv2), every norm of the ViT.
        ffn_type: 'mlp' (fc1 -> act -> fc2) or 'swiglu' (DINOv3 H+, EVA-02,
            AIMv2: ``w3(silu(w1 x) * w2 x)``; act_cfg is then unused).
        ffn_bias: biases in the FFN (AIMv2: none).
        ffn_sub_norm: a norm inside SwiGLU before w3 (EVA-02's sub-LN).
        proj_bias: the attention output projection has a bias (AIMv2: none).
        patch_norm: a norm right after the patch embedding, before the abs
            position (AIMv2's RMSNorm).
        rope: None, or dict(base, coords, offset, axis_order, rotation,
            window_coords) for a 2-D RoPE on q and k in every block (see
            ``layers.rope``): DINOv3 dict(base=100, coords='centered',
            axis_order='yx', rotation='half'); EVA-02 dict(base=10000,
            coords='index', offset=0, axis_order='yx', rotation='interleaved');
            PE dict(base=10000, coords='index', offset=1, axis_order='xy',
            rotation='interleaved'). 'index' coordinates are rescaled to the
            pre-training grid (``pretrain_img_size / patch_size``).
            ``window_coords='window'`` (default): window blocks rotate by
            coordinates within their window, as a pre-training-sized crop;
            'image': by their coordinates in the whole grid, as global blocks.
        with_cp: activation checkpointing per block (saves memory, costs a
            second forward of each block in backward).
        frozen_stages: -1 trains everything; k >= 0 freezes the patch
            embedding (and its norm), the abs position embedding, the pre-norm,
            the shared relative-position tables and the first k blocks (their
            own tables included), and keeps them in eval mode. k = num_layers
            (or 'all', the frozen-backbone protocol's setting for any size)
            freezes the whole backbone, whose forward then builds no autograd
            graph (the frozen-backbone protocol); tables a release does not
            have stay at their zero init.

    Forward: [B, 3, H, W] images -> tuple of [B, C, ceil(H/16), ceil(W/16)]
    maps, one per out index (block outputs, no final norm).
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Tuple[int, int]] = 1024,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 pretrain_img_size: Union[int, Tuple[int, int]] = 224,
                 window_size: int = 14,
                 global_attn_indices: Optional[Sequence[int]] = None,
                 out_indices: Optional[Sequence[int]] = None,
                 use_abs_pos_embed: bool = True,
                 use_rel_pos_bias: Union[bool, str] = False,
                 rel_pos_zero_init: bool = True,
                 qkv_bias: Union[bool, str] = True,
                 layer_scale_init_value: Optional[float] = None,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 pre_norm: bool = False,
                 patch_bias: bool = True,
                 act_cfg: Optional[dict] = None,
                 norm_type: str = 'layer_norm',
                 ffn_type: str = 'mlp',
                 ffn_bias: bool = True,
                 ffn_sub_norm: bool = False,
                 proj_bias: bool = True,
                 patch_norm: bool = False,
                 rope: Optional[dict] = None,
                 with_cp: bool = False,
                 frozen_stages: Union[int, str] = -1,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        settings = _resolve_arch(arch)
        self.embed_dims = int(settings['embed_dims'])
        self.num_layers = int(settings['num_layers'])
        self.num_heads = int(settings['num_heads'])
        self.mlp_ratio = float(settings['mlp_ratio'])
        self.feedforward_channels = int(settings['feedforward_channels'] or self.embed_dims * self.mlp_ratio)
        if self.embed_dims % self.num_heads:
            raise ValueError(
                f'ViT embed_dims={self.embed_dims} is not divisible by '
                f'num_heads={self.num_heads}: choose a head count that '
                'divides the width.')
        if use_rel_pos_bias not in REL_POS_MODES:
            raise ValueError(f'ViT use_rel_pos_bias={use_rel_pos_bias!r}: '
                             f'choose one of {REL_POS_MODES}.')
        if window_size < 0:
            raise ValueError(f'ViT window_size={window_size} must be >= 0 '
                             '(0 = global attention in every block).')
        if frozen_stages == 'all':
            frozen_stages = self.num_layers
        if not (isinstance(frozen_stages, int) and -1 <= frozen_stages <= self.num_layers):
            raise ValueError(f"ViT frozen_stages={frozen_stages!r} must be 'all' or in "
                             f'[-1, {self.num_layers}].')

        quarters = default_quarter_indices(self.num_layers)
        if window_size == 0:
            self.global_attn_indices = tuple(range(self.num_layers))
        else:
            self.global_attn_indices = _check_indices(
                'global_attn_indices',
                quarters if global_attn_indices is None else
                global_attn_indices, self.num_layers, must_be_sorted=False)
        self.out_indices = _check_indices(
            'out_indices', quarters if out_indices is None else out_indices,
            self.num_layers, must_be_sorted=True)

        self.patch_size = patch_size
        self.in_channels = in_channels
        self.img_size = tuple(to_2tuple(img_size))
        self.grid_size = tuple(math.ceil(s / patch_size) for s in self.img_size)
        self.pretrain_grid_size = tuple(
            s // patch_size for s in to_2tuple(pretrain_img_size))
        self.window_size = window_size
        self.use_rel_pos_bias = use_rel_pos_bias
        self.rel_pos_zero_init = rel_pos_zero_init
        self.with_cp = with_cp
        self.frozen_stages = frozen_stages

        self.patch_embed = PatchEmbed(patch_size, in_channels, self.embed_dims,
                                      bias=patch_bias)
        self.norm_type, self.ffn_type = norm_type, ffn_type
        self.patch_norm = (build_norm(norm_type, self.embed_dims, norm_eps)
                           if patch_norm else None)
        if use_abs_pos_embed:
            num_pos = self.pretrain_grid_size[0] * self.pretrain_grid_size[1]
            self.pos_embed = nn.Parameter(
                torch.zeros(1, num_pos, self.embed_dims))
        else:
            self.pos_embed = None
        self.norm_pre = (build_norm(norm_type, self.embed_dims, norm_eps)
                         if pre_norm else None)
        self.rope_cfg = check_rope_cfg(rope) if rope is not None else None
        self.rope = None
        if self.rope_cfg is not None:
            cfg = {k: v for k, v in self.rope_cfg.items() if k != 'window_coords'}
            self.rope = RotaryEmbedding2D(self.embed_dims // self.num_heads, **cfg,
                                          ref_grid=self.pretrain_grid_size)
        self.act_cfg = dict(type='GELU') if act_cfg is None else dict(act_cfg)

        has_global = len(self.global_attn_indices) > 0
        has_window = len(self.global_attn_indices) < self.num_layers
        win_grid = (window_size, window_size)

        def new_rel_pos(grid):
            return RelativePositionBias(grid, self.num_heads,
                                        rel_pos_zero_init)

        self.rel_pos_bias_window = self.rel_pos_bias_global = None
        if use_rel_pos_bias == 'shared':
            if has_window:
                self.rel_pos_bias_window = new_rel_pos(win_grid)
            if has_global:
                self.rel_pos_bias_global = new_rel_pos(self.grid_size)

        dpr = [drop_path_rate * i / max(self.num_layers - 1, 1)
               for i in range(self.num_layers)]  # linear over depth
        self.blocks = nn.ModuleList()
        for i in range(self.num_layers):
            is_global = i in self.global_attn_indices
            per_block = decomposed = None
            if use_rel_pos_bias == 'per_block':
                per_block = new_rel_pos(
                    self.grid_size if is_global else win_grid)
            elif use_rel_pos_bias == 'decomposed':
                decomposed = DecomposedRelPos(
                    self.grid_size if is_global else win_grid,
                    self.embed_dims // self.num_heads)
            self.blocks.append(
                TransformerBlock(
                    self.embed_dims,
                    self.num_heads,
                    mlp_ratio=self.mlp_ratio,
                    feedforward_channels=self.feedforward_channels,
                    qkv_bias=qkv_bias,
                    window_size=0 if is_global else window_size,
                    drop_path=dpr[i],
                    layer_scale_init_value=layer_scale_init_value,
                    norm_eps=norm_eps,
                    rel_pos_bias=per_block,
                    act_cfg=self.act_cfg,
                    decomposed_rel_pos=decomposed,
                    ffn_type=ffn_type,
                    ffn_bias=ffn_bias,
                    ffn_sub_norm=ffn_sub_norm,
                    norm_type=norm_type,
                    proj_bias=proj_bias,
                    rope_rotation=(self.rope_cfg or {}).get('rotation', 'half')))
        self.reset_parameters()
        self._freeze_stages()

    # ------------------------------------------------------------------ init
    def reset_parameters(self) -> None:
        """Random init of the BEiT code base, the paper's "random" init.

        Linear weights trunc-normal(0.02), biases zero, norms (1, 0), abs
        position embedding trunc-normal(0.02); the output projections of
        attention and MLP in block i are divided by sqrt(2 * (i + 1)).
        """
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.LayerNorm, nn.RMSNorm)):
                reset_norm(m)
            elif isinstance(m, RotaryEmbedding2D):
                m.reset_parameters()
            elif isinstance(m, RelativePositionBias):
                m.reset_parameters()
            elif isinstance(m, DecomposedRelPos):
                m.reset_parameters()
                if not self.rel_pos_zero_init:
                    nn.init.trunc_normal_(m.rel_pos_h, std=.02)
                    nn.init.trunc_normal_(m.rel_pos_w, std=.02)
        if self.pos_embed is not None:
            nn.init.trunc_normal_(self.pos_embed, std=.02)
        for i, blk in enumerate(self.blocks):
            blk.attn.proj.weight.data.div_(math.sqrt(2.0 * (i + 1)))
            blk.mlp.out_proj.weight.data.div_(math.sqrt(2.0 * (i + 1)))

    def init_weights(self) -> None:
        """Load ``init_cfg=dict(type='Pretrained', checkpoint=...)`` strictly.

        Any official layout (timm/DeiT, MAE, MoCo v3, BEiT, DINO, iBOT,
        DINOv2, CLIP, SAM, DINOv3, EVA-02, PE-Core, AIMv2, Hugging Face
        ViT/DINOv2/CLIP/SigLIP/DINOv3/AIMv2, mmpretrain,
        mmvitdet; .pth, .safetensors or a model folder) is converted at load with the paper's position
        standardization and a load report in the log; optional keys
        ``format``, ``rel_pos_resize``, ``discard``, ``patch_embed_resize``
        (a 14-px file in a 16-px model, see
        ``mmvitdet.checkpoints.load_pretrained``). mmengine's PretrainedInit
        (strict=False, silent on mismatches) is not used. Without a
        Pretrained entry the random init of ``reset_parameters`` stays.
        """
        cfg = pretrained_init_cfg(self.init_cfg)
        if cfg is None:
            super().init_weights()
            return
        if self._is_init:
            return
        load_pretrained(self, **cfg)
        self._is_init = True

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        if self.fully_frozen:  # every tensor, RoPE and anything a block option adds included
            for m in self.modules():
                m.training = False
            for p in self.parameters():
                p.requires_grad = False
            return
        frozen = [self.patch_embed] + list(self.blocks[:self.frozen_stages])
        frozen += [m for m in (self.norm_pre, self.patch_norm, self.rel_pos_bias_window, self.rel_pos_bias_global)
                   if m is not None]
        for m in frozen:
            m.eval()
            for p in m.parameters():
                p.requires_grad = False
        if self.pos_embed is not None:
            self.pos_embed.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        return self

    # --------------------------------------------------------------- forward
    def abs_pos_embed(self, grid_hw: Tuple[int, int]) -> torch.Tensor:
        """[1, H, W, C] abs position embedding resized bicubically to ``grid_hw``."""
        pos = resize_pos_embed(
            self.pos_embed,
            self.pretrain_grid_size,
            grid_hw,
            mode='bicubic',
            num_extra_tokens=0)
        return pos.reshape(1, grid_hw[0], grid_hw[1], self.embed_dims)

    def _shared_biases(self, grid_hw, dtype):
        """Compute the shared window / global biases once per forward."""
        window_bias = global_bias = None
        if self.rel_pos_bias_window is not None:
            window_bias = self.rel_pos_bias_window(
                (self.window_size, self.window_size)).to(dtype)
        if self.rel_pos_bias_global is not None:
            global_bias = self.rel_pos_bias_global(grid_hw).to(dtype)
        return window_bias, global_bias

    def _rope_tables(self, grid_hw):
        """(window, global) (sin, cos) RoPE tables, computed once per forward.

        Window: [ws*ws, D] within a window, or [nW, ws*ws, D] with
        ``window_coords='image'`` (the padded grid's coordinates, normalized by
        the whole grid as in global blocks). Global: [H*W, D].
        """
        if self.rope is None:
            return None, None
        global_rope = self.rope(grid_hw) if self.global_attn_indices else None
        window_rope = None
        if len(self.global_attn_indices) < self.num_layers:
            ws = self.window_size
            if self.rope_cfg['window_coords'] == 'window':
                window_rope = self.rope((ws, ws))
            else:
                padded = tuple(math.ceil(s / ws) * ws for s in grid_hw)
                tables = self.rope(padded, span_hw=grid_hw)
                window_rope = tuple(
                    window_partition(t.view(1, *padded, -1), ws)[0].flatten(1, 2)
                    for t in tables)
        return window_rope, global_rope

    @property
    def fully_frozen(self) -> bool:
        return self.frozen_stages == self.num_layers

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """[B, 3, H, W] -> tuple of [B, C, ceil(H/16), ceil(W/16)], one per out index."""
        if self.fully_frozen and torch.is_grad_enabled():
            with torch.no_grad():  # nothing upstream trains: keep no activations for backward
                return self.forward(x)
        x = self.patch_embed(x)  # [B, h, w, C]
        grid_hw = tuple(x.shape[1:3])
        if self.patch_norm is not None:
            x = self.patch_norm(x)
        if self.pos_embed is not None:
            x = x + self.abs_pos_embed(grid_hw)
        if self.norm_pre is not None:
            x = self.norm_pre(x)
        # Cast the shared bias once to the autocast dtype, not in every block.
        dev = x.device.type
        autocast = (torch.amp.is_autocast_available(dev)
                    and torch.is_autocast_enabled(dev))
        dtype = torch.get_autocast_dtype(dev) if autocast else x.dtype
        window_bias, global_bias = self._shared_biases(grid_hw, dtype)
        window_rope, global_rope = self._rope_tables(grid_hw)
        outs = []
        for i, blk in enumerate(self.blocks):
            bias = global_bias if blk.is_global else window_bias
            rope = global_rope if blk.is_global else window_rope
            if self.with_cp and self.training and torch.is_grad_enabled():
                x = checkpoint(blk, x, bias, rope, use_reentrant=False)
            else:
                x = blk(x, bias, rope)
            if i in self.out_indices:
                outs.append(x.permute(0, 3, 1, 2).contiguous())
        return tuple(outs)

    # ------------------------------------------------------ lr decay support
    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """Depth of a parameter for layer-wise lr decay (ViTDet).

        Patch/position embeddings, the patch norm, the pre-norm, the RoPE
        periods and shared relative tables are layer 0,
        block i is layer i + 1, anything else is the last layer.

        Returns:
            (layer_id, max_layer_id) with max_layer_id = num_layers + 2.
        """
        max_id = self.num_layers + 2
        if not param_name.startswith(prefix):
            return max_id - 1, max_id
        name = param_name[len(prefix):]
        if name.startswith(('patch_embed', 'pos_embed', 'norm_pre', 'patch_norm',
                            'rope.', 'rel_pos_bias_')):
            return 0, max_id
        if name.startswith('blocks.'):
            return int(name.split('.')[1]) + 1, max_id
        return max_id - 1, max_id
