"""The study in miniature (tools/mini_study.py): pre-train the quickstart's ViT with
mmpretrain's own methods on an unlabeled shapes set, fine-tune the quickstart detector from
each, and tabulate the results with mmvitdet.analysis."""
from .plan import INITS, PRETRAIN, Stage, StudyPlan, build_plan, split_budget
from .runner import StudyError, run_study

__all__ = ['INITS', 'PRETRAIN', 'Stage', 'StudyPlan', 'build_plan', 'split_budget',
           'StudyError', 'run_study']
