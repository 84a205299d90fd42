# mmdet's runtime (hooks, logging, visualizer, env) with checkpoints every
# epoch so that an interrupted run resumes (`--resume`) losing at most one.
_base_ = 'mmdet::_base_/default_runtime.py'
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
