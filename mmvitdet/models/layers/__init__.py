from .attention import Attention
from .decomposed_rel_pos import DecomposedRelPos, decomposed_rel_pos_bias, resize_rel_pos_table
from .patch_embed import PatchEmbed
from .rel_pos_bias import RelativePositionBias, rel_pos_bias_from_table
from .transformer_block import Mlp, TransformerBlock
from .window import window_partition, window_unpartition

__all__ = [
    'Attention', 'DecomposedRelPos', 'decomposed_rel_pos_bias', 'resize_rel_pos_table', 'PatchEmbed',
    'RelativePositionBias', 'rel_pos_bias_from_table', 'Mlp',
    'TransformerBlock', 'window_partition', 'window_unpartition'
]
