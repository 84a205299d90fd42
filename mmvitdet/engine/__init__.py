"""See the package docstring of mmvitdet."""
from .atomic_local_backend import AtomicLocalBackend, atomic_write_bytes
from .checkpoint_loading import (CheckpointLoadError, UnsafeCheckpointError, allow_checkpoint_globals,
                                 load_checkpoint_file)
from .batch_in_flight import BatchInFlightHook, OwnDataTrainingError  # noqa: F401
from . import function_registry  # noqa: F401  (mmdet's missing 'function' registry)
from .divergence_guard import DivergenceGuardHook, TrainingDiverged, add_divergence_guard  # noqa: F401
from .preemption import PreemptionCheckpointHook, TrainingPreempted, add_preemption_hook  # noqa: F401
from .resume_changes import ConfigHistoryHook  # noqa: F401
from .resumable_loop import ResumableEpochBasedTrainLoop  # noqa: F401
from .layer_decay_optim_constructor import DetectorLayerDecayOptimWrapperConstructor  # noqa: F401

__all__ = [
    'AtomicLocalBackend', 'atomic_write_bytes', 'CheckpointLoadError', 'UnsafeCheckpointError',
    'allow_checkpoint_globals', 'load_checkpoint_file'
]
